"""Domain errors -> HTTP, in one place: every error body is {success: false, error: {...}}."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap

from proxy.api.quota import QuotaExceeded, QuotaUnavailable
from proxy.keys import AuthError
from proxy.render_pool import RenderBusy
from proxy.storage.base import StorageUnavailable
from proxy.webhooks import InvalidWebhookSecret, InvalidWebhookURL
from renderer import AssetError, SpecError, TemplateNotFound

__all__ = ["ApiError", "exception_handlers"]

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
    503: "unavailable",
}


class ApiError(Exception):
    """An error a client caused or must retry, with the field it concerns."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def _body(code: str, message: str, field: str | None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"success": False, "error": error}


def _api_error(_: Request[Any, Any, Any], exc: ApiError) -> Response[dict[str, Any]]:
    return Response(
        _body(exc.code, exc.message, exc.field), status_code=exc.status, headers=exc.headers
    )


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    code = _CODES.get(exc.status_code, "error")
    return Response(
        _body(code, str(exc.detail), None), status_code=exc.status_code, headers=exc.headers
    )


def _json(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    return Response(_body(code, message, field), status_code=status, headers=headers)


def _validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    # Litestar validated the body against its declared type: say which field and why.
    problems = exc.extra if isinstance(exc.extra, list) else []
    first = problems[0] if problems and isinstance(problems[0], dict) else {}
    message = str(first.get("message") or exc.detail)
    missing = re.search(r"missing required field `(\w+)`", message)
    field = missing.group(1) if missing else str(first.get("key") or "body")
    if field == "data":  # Litestar's name for the whole body
        field = "body"
    return _json(400, "invalid_field", message, field)


def _webhook_field(_: Request[Any, Any, Any], exc: ValueError) -> Response[dict[str, Any]]:
    return _json(400, "invalid_field", str(exc), getattr(exc, "field", "body"))


def _spec_error(_: Request[Any, Any, Any], exc: SpecError) -> Response[dict[str, Any]]:
    if isinstance(exc, TemplateNotFound):
        return _json(404, "template_not_found", exc.message, exc.field)
    return _json(400, "invalid_field", exc.message, exc.field)


def _asset_error(_: Request[Any, Any, Any], exc: AssetError) -> Response[dict[str, Any]]:
    return _json(422, "unusable_asset", exc.message, exc.field)


def _auth_error(_: Request[Any, Any, Any], exc: AuthError) -> Response[dict[str, Any]]:
    headers = {"WWW-Authenticate": 'Bearer realm="ogedge"'} if exc.status == 401 else None
    return _json(exc.status, exc.code, str(exc), headers=headers)


def _quota(_: Request[Any, Any, Any], exc: QuotaExceeded) -> Response[dict[str, Any]]:
    return _json(
        429,
        "quota_exceeded",
        f"{exc}; it renews at the start of next month (UTC)",
        headers={"Retry-After": str(exc.retry_after)},
    )


def _unavailable(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    what = {
        RenderBusy: "every render slot is busy",
        QuotaUnavailable: "quota accounting is unavailable",
        StorageUnavailable: "storage is unavailable",
    }
    message = next(
        (m for t, m in what.items() if isinstance(exc, t)), "a dependency is unavailable"
    )
    return _json(503, "unavailable", f"{message}; retry shortly", headers={"Retry-After": "2"})


def _bug(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    return Response(
        _body("internal_error", "internal error", None), status_code=HTTP_500_INTERNAL_SERVER_ERROR
    )


exception_handlers: ExceptionHandlersMap = {
    ApiError: _api_error,
    HTTPException: _http_error,
    ValidationException: _validation,
    SpecError: _spec_error,
    InvalidWebhookURL: _webhook_field,
    InvalidWebhookSecret: _webhook_field,
    AssetError: _asset_error,
    AuthError: _auth_error,
    QuotaExceeded: _quota,
    QuotaUnavailable: _unavailable,
    RenderBusy: _unavailable,
    StorageUnavailable: _unavailable,
    Exception: _bug,
}
