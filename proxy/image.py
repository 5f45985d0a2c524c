"""GET/HEAD /i/<slug>: the hot path, a plain ASGI endpoint.

Top to bottom: method -> client IP -> rate limit -> slug shape -> card (memory, Redis, storage,
fallback render) -> conditional request (304) -> body from the hot cache -> body streamed from
storage (kept in the hot cache when small).
"""

from __future__ import annotations

from typing import Any

from proxy.cache import Card
from proxy.catalog import Catalog
from proxy.http.client_ip import ClientIP
from proxy.http.conditional import is_not_modified
from proxy.http.errors import describe
from proxy.http.responses import Send, error_body, send_error, send_full
from proxy.limits import ImageLimiter
from proxy.observe.metrics import IMAGE_HOT_CACHE, IMAGE_STORAGE_READ
from proxy.records import SLUG_RE, meta_from_info
from proxy.render_pool import RenderBusy
from proxy.storage.base import ObjectNotFound, StorageUnavailable

__all__ = ["ImageEndpoint"]

_ALLOW = [(b"allow", b"GET, HEAD")]
_NOT_ALLOWED = error_body("method_not_allowed", "use GET or HEAD")
_NOT_FOUND = error_body("not_found", "no such image")
_LIMITED = error_body("rate_limited", "too many image requests from this address")
_RESTORING = error_body("image_unavailable", "image is being restored; retry shortly")
_RETRY_SOON = [(b"retry-after", b"1")]
_PREFIX_LEN = len("/i/")


class ImageEndpoint:
    def __init__(
        self, catalog: Catalog, limiter: ImageLimiter, client_ip: ClientIP, negative_ttl: float
    ) -> None:
        self.catalog = catalog
        self.limiter = limiter
        self.client_ip = client_ip
        self._not_found_cache = f"public, max-age={int(negative_ttl)}".encode("ascii")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        method = scope["method"]
        head = method == "HEAD"
        if not head and method != "GET":
            await send_error(send, 405, _NOT_ALLOWED, False, _ALLOW)
            return

        if_none_match = if_modified_since = forwarded_for = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")

        client = scope.get("client")
        ip = self.client_ip.resolve(client[0] if client else "unknown", forwarded_for)
        key = ClientIP.limit_key(ip)
        if not self.limiter.knows(key):
            await self.limiter.learn(key)  # once per new client per worker
        decision = self.limiter.check(key)
        if not decision.allowed:
            await send_error(send, 429, _LIMITED, head, decision.headers())
            return

        slug = scope["path"][_PREFIX_LEN:]
        if SLUG_RE.fullmatch(slug) is None:
            await send_error(send, 404, _NOT_FOUND, head, cache=self._not_found_cache)
            return

        try:
            card = await self.catalog.resolve(slug)
        except (StorageUnavailable, RenderBusy) as exc:
            await _unavailable(send, exc, head)
            return
        if card is None:
            await send_error(send, 404, _NOT_FOUND, head, cache=self._not_found_cache)
            return

        meta = card.meta
        if is_not_modified(if_none_match, if_modified_since, meta.etag, meta.modified):
            await send_full(send, 304, card.not_modified_headers, b"", True)
            return
        if head:
            await send_full(send, 200, card.ok_headers, b"", True)
            return

        body = self.catalog.cache.body(slug)
        if body is not None:
            IMAGE_HOT_CACHE.inc()
            await send_full(send, 200, card.ok_headers, body, False)
            return
        if await self._stream(slug, card, send):
            return
        # The cached metadata no longer matches storage (the image was deleted, or rendered
        # again with other bytes): look again past every cache, which also corrects Redis;
        # the lookup renders from the spec when the image is gone.
        try:
            card = await self.catalog.resolve(slug, fresh=True)
        except (StorageUnavailable, RenderBusy) as exc:
            await _unavailable(send, exc, False)
            return
        if card is None:
            await send_error(send, 404, _NOT_FOUND, False, cache=self._not_found_cache)
        elif not await self._stream(slug, card, send):
            await send_error(send, 503, _RESTORING, False, _RETRY_SOON)

    async def _stream(self, slug: str, card: Card, send: Send) -> bool:
        """Stream the body from storage; False when `card` is stale (nothing sent then)."""
        catalog = self.catalog
        keep = card.meta.size <= catalog.cache.item_max_bytes
        parts: list[bytes] = []
        started = False
        try:
            async with catalog.storage.open(card.meta.key) as (info, chunks):
                if meta_from_info(card.meta.key, info) != card.meta:
                    catalog.forget(slug)
                    return False
                # Read the first chunk before answering: a failure before any body byte is
                # still a clean 503, since the status line has not been sent yet.
                body = aiter(chunks)
                chunk = await anext(body, b"")
                await send(
                    {"type": "http.response.start", "status": 200, "headers": card.ok_headers}
                )
                started = True
                IMAGE_STORAGE_READ.inc()
                while chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                    if keep:
                        parts.append(chunk)
                    chunk = await anext(body, b"")
        except ObjectNotFound:
            catalog.forget(slug)
            return False
        except StorageUnavailable as exc:
            if started:
                # Never finish a truncated 200: raising after the start makes the server
                # drop the connection, so the client sees an error, not a short image.
                raise
            await _unavailable(send, exc, False)
            return True
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        if keep:
            catalog.cache.keep_body(slug, b"".join(parts))
        return True


async def _unavailable(send: Send, exc: Exception, head: bool) -> None:
    # The same answer the APIs give for the same failure (proxy/http/errors.py).
    answer = describe(exc)
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    await send_error(send, answer.status, answer.body, head, extra)
