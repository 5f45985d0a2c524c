"""Guarded outbound HTTP: one client, one address policy, for every fetch ogedge makes."""

from proxy.netguard.client import FetchResult, GuardedClient
from proxy.netguard.errors import (
    BadContentType,
    FetchError,
    FetchTimeout,
    ForbiddenAddress,
    InvalidURL,
    TooLarge,
    TooManyRedirects,
    UpstreamError,
)
from proxy.netguard.policy import AddressPolicy, is_forbidden

__all__ = [
    "AddressPolicy",
    "BadContentType",
    "FetchError",
    "FetchResult",
    "FetchTimeout",
    "ForbiddenAddress",
    "GuardedClient",
    "InvalidURL",
    "TooLarge",
    "TooManyRedirects",
    "UpstreamError",
    "is_forbidden",
]
