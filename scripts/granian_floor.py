"""The floor under any Python ASGI app on Granian: a bare app that answers /i/<slug> with one
card's bytes from memory (the same headers as ogedge's hot path) and a 304 when If-None-Match
matches. No routing, limits, metrics or lookups: what Granian + uvloop + the kernel cost per
request, measured beside ogedge and nginx by scripts/bench_scale.py.

    granian --interface asgi --factory scripts.granian_floor:create   (OGEDGE_FLOOR_CARD=path)
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["create"]


def create() -> Any:
    body = open(os.environ["OGEDGE_FLOOR_CARD"], "rb").read()  # noqa: SIM115 (read once at start)
    etag = b'"floor"'
    validators = [
        (b"etag", etag),
        (b"last-modified", b"Thu, 03 Dec 2026 00:00:00 GMT"),
        (b"cache-control", b"public, max-age=31536000, immutable"),
    ]
    ok = [
        (b"content-type", b"image/png"),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        *validators,
    ]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        for name, value in scope["headers"]:
            if name == b"if-none-match" and value == etag:
                await send({"type": "http.response.start", "status": 304, "headers": validators})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({"type": "http.response.start", "status": 200, "headers": ok})
        await send({"type": "http.response.body", "body": body})

    return app
