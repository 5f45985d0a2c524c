"""Domain errors: what a request can fail with, in the service's own words.

Services raise these and nothing HTTP-shaped; `proxy/http/errors.py` is the one place that turns
them (and the renderer's and storage's errors) into status codes and JSON bodies. Each class is
one kind of outcome; `code` is the stable machine-readable name a client may switch on.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "Limited",
    "NotFound",
    "ServiceError",
    "TooLarge",
    "Unauthenticated",
    "Unavailable",
    "Unusable",
]


class ServiceError(Exception):
    """Base of every domain error: a message for humans, the field it concerns, a stable code,
    and (`detail`) machine-readable particulars a client may use, e.g. where in a template."""

    code = "error"

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        code: str | None = None,
        detail: dict[str, str | int] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail or {}
        if code is not None:
            self.code = code


class InvalidInput(ServiceError):
    """The request names something malformed or out of range (`field` says which)."""

    code = "invalid_field"


class Unauthenticated(ServiceError):
    """No usable credentials."""

    code = "unauthorized"


class Forbidden(ServiceError):
    """Valid credentials that may not do this."""

    code = "forbidden"


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class TooLarge(ServiceError):
    code = "payload_too_large"


class Unusable(ServiceError):
    """Well-formed input whose target cannot be used (an unreachable logo, a page that is not HTML)."""

    code = "unusable"


class Limited(ServiceError):
    """Over a rate limit or quota: retry after `retry_after` seconds; `headers` describe the limit."""

    code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        code: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, retry_after)
        self.headers = headers or []


class Unavailable(ServiceError):
    """A dependency (Redis, storage, the render slots) cannot serve this now; retry shortly."""

    code = "unavailable"
    retry_after = 2

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.retry_after = retry_after
