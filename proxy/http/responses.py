"""Tiny ASGI senders for the hot path (no framework, headers as ready-made byte pairs), and the
one builder of error bodies every answer uses."""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["Headers", "Send", "error_body", "send_error", "send_full"]

Headers = list[tuple[bytes, bytes]]
Send = Any  # the ASGI `send` callable


async def send_full(send: Send, status: int, headers: Headers, body: bytes, head: bool) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body, "more_body": False})


def error_body(
    code: str,
    message: str,
    field: str | None = None,
    detail: dict[str, str | int] | None = None,
) -> bytes:
    """`{"success": false, "error": {"code", "message", "field"?, ...detail}}`, the body of
    every error; `detail` adds machine-readable particulars (a template error's line, key)."""
    error: dict[str, str | int] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    if detail:
        error.update({k: v for k, v in detail.items() if k not in error})
    return orjson.dumps({"success": False, "error": error})


async def send_error(
    send: Send,
    status: int,
    body: bytes,
    head: bool,
    extra: Headers | None = None,
    cache: bytes = b"no-store",
) -> None:
    headers: Headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", cache),
        (b"x-content-type-options", b"nosniff"),
    ]
    if extra:
        headers.extend(extra)
    await send_full(send, status, headers, body, head)
