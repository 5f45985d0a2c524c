"""Why a fetch failed, in words fit for a 422 body.

Every error carries `reason` (what went wrong) and `url` (which URL, with any
userinfo removed so credentials never reach a response or a log).
"""

from __future__ import annotations

__all__ = [
    "AddressRefused",
    "BadContentType",
    "FetchError",
    "FetchTimeout",
    "ForbiddenAddress",
    "InvalidURL",
    "TooLarge",
    "TooManyRedirects",
    "UpstreamError",
]

_URL_SHOWN = 200


class FetchError(Exception):
    """Base of every refusal or failure of `GuardedClient.fetch`."""

    # What kind of failure, for the start of the message.
    what = "the fetch failed"

    def __init__(self, reason: str, url: str) -> None:
        self.reason = reason
        self.url = _shown(url)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.what}: {self.reason} (url: {self.url})"


class ForbiddenAddress(FetchError):
    what = "refused to connect to a non-public address"


class InvalidURL(FetchError):
    what = "the URL cannot be fetched"


class TooManyRedirects(FetchError):
    what = "too many redirects"


class FetchTimeout(FetchError):
    what = "the fetch timed out"


class TooLarge(FetchError):
    what = "the response is too large"


class BadContentType(FetchError):
    what = "the response has the wrong content type"


class UpstreamError(FetchError):
    what = "the remote server could not be reached"


class AddressRefused(OSError):
    """Raised inside aiohttp (resolver, socket factory) when the policy says no.

    An OSError so aiohttp wraps it in ClientConnectorError like any other connect
    failure (its `os_error` keeps it); the client turns it into ForbiddenAddress.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _shown(url: str) -> str:
    # Drop userinfo: "http://user:secret@host/" must not be echoed anywhere. The
    # authority ends at the first "/", "?" or "#" (RFC 3986 §3.2).
    scheme, sep, rest = url.partition("://")
    if sep:
        end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
        authority = rest[:end].rpartition("@")[2]
        url = f"{scheme}{sep}{authority}{rest[end:]}"
    return url if len(url) <= _URL_SHOWN else url[: _URL_SHOWN - 1] + "…"
