"""A request id per request: a well-formed incoming `X-Request-Id` is kept, else a short random
one is made. It is returned as a header and reaches log records through a contextvar."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

__all__ = ["HEADER", "REQUEST_ID", "from_headers", "new_id"]

HEADER = b"x-request-id"
REQUEST_ID: ContextVar[str | None] = ContextVar("ogedge_request_id", default=None)
# Printable, no spaces or separators that could forge a log field or a header.
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_rand = random.Random()  # not a secret: only has to be unlikely to repeat


def new_id() -> str:
    return f"{_rand.getrandbits(64):016x}"


def from_headers(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == HEADER:
            if _WELL_FORMED.fullmatch(value):
                return value.decode("ascii")
            break
    return new_id()
