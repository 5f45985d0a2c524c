"""Projects and API keys: records (`model`), durable registry (`registry`), request auth (`auth`)."""

from proxy.keys.auth import (
    Authenticator,
    AuthError,
    ForbiddenProject,
    InvalidKey,
    InvalidProject,
    MissingKey,
    authorize,
    extract_key,
)
from proxy.keys.model import (
    DEFAULT_BURST,
    DEFAULT_MONTHLY_QUOTA,
    DEFAULT_RATE,
    ApiKey,
    InvalidInput,
    Project,
)
from proxy.keys.registry import CorruptRecord, KeyNotFound, KeyRegistry

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_MONTHLY_QUOTA",
    "DEFAULT_RATE",
    "ApiKey",
    "AuthError",
    "Authenticator",
    "CorruptRecord",
    "ForbiddenProject",
    "InvalidInput",
    "InvalidKey",
    "InvalidProject",
    "KeyNotFound",
    "KeyRegistry",
    "MissingKey",
    "Project",
    "authorize",
    "extract_key",
]
