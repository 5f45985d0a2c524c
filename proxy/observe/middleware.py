"""`Observe`: a plain ASGI wrapper around the whole app. Per HTTP request it sets the request
id (contextvar + `X-Request-Id` response header), serves `/metrics`, and counts the answer by
route and status with its latency. No framework, no per-request label lookups.

An exception that escapes the app before it answered (the plain ASGI endpoints have no
framework to catch it) goes to `on_error`, which logs it and answers; without this, the
server would answer a bare 500 that no log explains."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from proxy.observe.metrics import CONTENT_TYPE_LATEST, RequestMeter, render_latest, route_of
from proxy.observe.request_id import HEADER, REQUEST_ID, from_headers

__all__ = ["METRICS_PATH", "Observe"]

METRICS_PATH = "/metrics"
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
OnError = Callable[[BaseException, dict[str, Any], Any], Awaitable[None]]
_METRICS_TYPE = CONTENT_TYPE_LATEST.encode("ascii")


class Observe:
    def __init__(
        self,
        app: App,
        on_scrape: Callable[[], None] | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self.app = app
        self.meter = RequestMeter()
        self.on_scrape = on_scrape
        self.on_error = on_error

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = from_headers(scope["headers"])
        token = REQUEST_ID.set(rid)
        id_header = (HEADER, rid.encode("ascii"))
        status = 0  # until the app starts its answer

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # A new list: the hot path hands out shared, ready-made header lists.
                message = {**message, "headers": [*message["headers"], id_header]}
            await send(message)

        path = scope["path"]
        started = perf_counter()
        try:
            if path == METRICS_PATH:
                await self._metrics(send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if status or self.on_error is None:
                raise  # mid-answer: the server drops the connection rather than finish it
            await self.on_error(exc, scope, send_with_id)
        finally:
            self.meter.observe(route_of(path), status or 500, perf_counter() - started)
            REQUEST_ID.reset(token)

    async def _metrics(self, send: Any) -> None:
        if self.on_scrape is not None:
            self.on_scrape()
        # Reading every worker's files is file I/O: keep it off the event loop.
        body = await asyncio.to_thread(render_latest)
        headers = [
            (b"content-type", _METRICS_TYPE),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"cache-control", b"no-store"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
