"""Every error -> HTTP, in one place: the domain's errors (proxy/errors.py), the renderer's, the
storage's and Litestar's become a status, a JSON body `{success: false, error: {code, message,
field?}}` and headers. The Litestar handlers and the /i/ hot path both answer through `describe`,
so one failure gets one answer wherever it happens. Anything not known here is a bug: a 500 that
is logged once, with its traceback and the request id.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

import renderer
from proxy.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    Limited,
    NotFound,
    ServiceError,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unusable,
)
from proxy.http.responses import Send, error_body, send_error
from proxy.render_pool import RenderBusy
from proxy.storage.base import InvalidKey, StorageError, StorageUnavailable
from proxy.storage.documents import CorruptDocument

__all__ = ["Answer", "describe", "exception_handlers", "send_described"]

log = logging.getLogger("ogedge.http")

_STATUS: tuple[tuple[type[ServiceError], int], ...] = (
    (InvalidInput, 400),
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (TooLarge, 413),
    (Unusable, 422),
    (Limited, 429),
    (Unavailable, 503),
)
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "rate_limited",
    503: "unavailable",
}


class Answer:
    """What one error looks like on the wire."""

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        detail: dict[str, str | int] | None = None,
    ) -> None:
        self.status = status
        self.body = error_body(code, message, field, detail)
        self.headers = headers or []


def describe(exc: BaseException) -> Answer:
    """The answer for `exc`; unknown exceptions are logged (traceback, request id) as 500s."""
    if isinstance(exc, ServiceError):
        return _service(exc)
    if isinstance(exc, renderer.RenderError):
        return _render(exc)
    if isinstance(exc, RenderBusy):
        return _unavailable("render_busy", "every render slot is busy", exc.retry_after)
    if isinstance(exc, StorageUnavailable):
        return _unavailable("storage_unavailable", "image storage is unavailable", 2)
    if isinstance(exc, CorruptDocument):
        log.error("damaged document in storage: %s", exc)
        return _unavailable("storage_unavailable", "a stored record is damaged", 30)
    if isinstance(exc, InvalidKey):
        # A name that can never be stored (the caller's, since ours are checked): not found.
        log.warning("refused storage name: %s", exc)
        return Answer(404, "not_found", "no such resource")
    if isinstance(exc, HTTPException):
        return _http(exc)
    if isinstance(exc, RecursionError):
        # msgspec refuses JSON nested past its depth limit this way, before any handler runs.
        return Answer(400, "invalid_json", "the JSON body is nested too deeply", "body")
    if isinstance(exc, StorageError):
        log.error("storage error: %r", exc, exc_info=exc)
        return _unavailable("storage_unavailable", "image storage failed", 2)
    log.error("unexpected %s: %s", type(exc).__name__, exc, exc_info=exc)
    return Answer(500, "internal_error", "internal error")


async def send_described(send: Send, exc: BaseException, head: bool) -> None:
    """Answer `exc` on a plain ASGI endpoint, as `describe` says."""
    answer = describe(exc)
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    await send_error(send, answer.status, answer.body, head, extra)


def _service(exc: ServiceError) -> Answer:
    status = next((s for kind, s in _STATUS if isinstance(exc, kind)), None)
    if status is None:
        log.error("unmapped %s: %s", type(exc).__name__, exc, exc_info=exc)
        return Answer(500, "internal_error", "internal error")
    headers: list[tuple[str, str]] = []
    if isinstance(exc, Unauthenticated):
        headers.append(("WWW-Authenticate", 'Bearer realm="ogedge"'))
    if isinstance(exc, Limited):
        # The limit's own RateLimit-* fields, and Retry-After once.
        rest = [(k, v) for k, v in exc.headers if k.lower() != "retry-after"]
        headers = [("Retry-After", str(exc.retry_after)), *rest]
    if isinstance(exc, Unavailable):
        headers.append(("Retry-After", str(exc.retry_after)))
    return Answer(status, exc.code, exc.message, exc.field, headers, exc.detail)


def _render(exc: renderer.RenderError) -> Answer:
    if isinstance(exc, renderer.TemplateNotFound):
        return Answer(404, "template_not_found", exc.message, exc.field)
    if isinstance(exc, renderer.SpecError):
        return Answer(400, "invalid_field", exc.message, exc.field)
    if isinstance(exc, renderer.AssetError):
        return Answer(422, "unusable_asset", exc.message, exc.field)
    if isinstance(exc, renderer.TemplateError):
        return Answer(400, "invalid_template", str(exc), "toml")
    log.error("render failed: %s", exc, exc_info=exc)
    return Answer(500, "render_failed", "the card could not be rendered")


def _unavailable(code: str, message: str, retry_after: int) -> Answer:
    return Answer(503, code, f"{message}; retry shortly", None, [("Retry-After", str(retry_after))])


def _http(exc: HTTPException) -> Answer:
    headers = list((exc.headers or {}).items())
    if isinstance(exc, ValidationException):
        return _validation(exc)
    code = _HTTP_CODES.get(exc.status_code, "error")
    return Answer(exc.status_code, code, str(exc.detail), None, headers)


def _validation(exc: ValidationException) -> Answer:
    # Litestar validated the body against its declared type: say which field and why.
    problems = exc.extra if isinstance(exc.extra, list) else []
    first = problems[0] if problems and isinstance(problems[0], dict) else {}
    message = str(first.get("message") or exc.detail)
    missing = re.search(r"missing required field `(\w+)`", message)
    field = missing.group(1) if missing else str(first.get("key") or "body")
    if field == "data":  # Litestar's name for the whole body
        field = "body"
    return Answer(400, "invalid_field", message, field)


def _handle(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    answer = describe(exc)
    return Response(
        answer.body,
        status_code=answer.status,
        headers=dict(answer.headers),
        media_type="application/json",
    )


exception_handlers: ExceptionHandlersMap = {Exception: _handle}
