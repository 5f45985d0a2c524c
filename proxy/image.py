"""GET/HEAD /i/<slug>: the hot path, a plain ASGI endpoint.

Top to bottom: method -> headers -> client IP -> rate limit (a social crawler's own budget, or
the per-IP one) -> slug shape -> card (memory, Redis, storage, fallback render) -> the
rendering this client gets (crawler: PNG/JPEG in its budget; browser: WebP/AVIF when it asks)
-> conditional request (304) -> body from the hot cache -> the file sent by the server itself
(local disk, ASGI pathsend; unless the cache admits the card, seen again) -> body streamed
from storage (kept in the hot cache when small). `/og/` URLs end up in `deliver` too
(proxy/og.py).
"""

from __future__ import annotations

import os
from typing import Any

from proxy.cache import Card
from proxy.catalog import Catalog, variant
from proxy.http.client_ip import ClientIP
from proxy.http.conditional import is_not_modified
from proxy.http.delivery import Crawler, DeliveryPolicy
from proxy.http.errors import send_described
from proxy.http.responses import Send, error_body, send_error, send_full
from proxy.limits import ImageLimiter
from proxy.observe.metrics import IMAGE_FILE_SENT, IMAGE_HOT_CACHE, IMAGE_STORAGE_READ
from proxy.records import SLUG_RE, meta_from_info
from proxy.render_pool import RenderBusy
from proxy.storage.base import ObjectNotFound, StorageUnavailable

__all__ = ["Ask", "ImageEndpoint"]

_ALLOW = [(b"allow", b"GET, HEAD")]
_NOT_ALLOWED = error_body("method_not_allowed", "use GET or HEAD")
_NOT_FOUND = error_body("not_found", "no such image")
_LIMITED = error_body("rate_limited", "too many image requests from this address")
_RESTORING = error_body("image_unavailable", "image is being restored; retry shortly")
_RETRY_SOON = [(b"retry-after", b"1")]
_PREFIX_LEN = len("/i/")


class Ask:
    """What one admitted request asks for, read once from its headers."""

    __slots__ = ("accept", "crawler", "head", "if_modified_since", "if_none_match", "pathsend")

    def __init__(
        self,
        head: bool,
        if_none_match: str | None,
        if_modified_since: str | None,
        accept: str | None,
        crawler: Crawler | None,
        pathsend: bool = False,
    ) -> None:
        self.head = head
        self.pathsend = pathsend
        self.if_none_match = if_none_match
        self.if_modified_since = if_modified_since
        self.accept = accept
        self.crawler = crawler


class ImageEndpoint:
    def __init__(
        self,
        catalog: Catalog,
        limiter: ImageLimiter,
        crawler_limiter: ImageLimiter,
        client_ip: ClientIP,
        negative_ttl: float,
        delivery: DeliveryPolicy,
    ) -> None:
        self.catalog = catalog
        self.limiter = limiter
        self.crawler_limiter = crawler_limiter
        self.client_ip = client_ip
        self.delivery = delivery
        self.not_found_cache = f"public, max-age={int(negative_ttl)}".encode("ascii")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        ask = await self.admit(scope, send)
        if ask is None:
            return
        slug = scope["path"][_PREFIX_LEN:]
        if SLUG_RE.fullmatch(slug) is None:
            await send_error(send, 404, _NOT_FOUND, ask.head, cache=self.not_found_cache)
            return
        await self.deliver(send, slug, ask)

    async def admit(self, scope: dict[str, Any], send: Send) -> Ask | None:
        """Method, headers and rate limit; None when the request was answered already."""
        method = scope["method"]
        head = method == "HEAD"
        if not head and method != "GET":
            await send_error(send, 405, _NOT_ALLOWED, False, _ALLOW)
            return None
        if_none_match = if_modified_since = forwarded_for = user_agent = accept = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
            elif name == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")

        client = scope.get("client")
        ip = self.client_ip.resolve(client[0] if client else "unknown", forwarded_for)
        crawler = self.delivery.crawler(user_agent)
        if crawler is None:
            limiter, key = self.limiter, ClientIP.limit_key(ip)
        else:
            # A User-Agent can lie: claiming to be a crawler only buys the crawler budget.
            limiter, key = self.crawler_limiter, f"{crawler.name}:{ClientIP.limit_key(ip)}"
        if not limiter.knows(key):
            await limiter.learn(key)  # once per new client per worker
        decision = limiter.check(key)
        if not decision.allowed:
            await send_error(send, 429, _LIMITED, head, decision.headers())
            return None
        pathsend = "http.response.pathsend" in scope.get("extensions", ())
        return Ask(head, if_none_match, if_modified_since, accept, crawler, pathsend)

    async def deliver(self, send: Send, slug: str, ask: Ask) -> None:
        """Answer with the card of `slug` (the rendering this client gets), or 404/503."""
        catalog = self.catalog
        try:
            card = await catalog.resolve(slug)
            if card is not None:
                fmt = self.delivery.choose(card.meta, ask.crawler, ask.accept)
                if fmt is not None:
                    name = variant(slug, fmt)
                    other = await catalog.resolve(name)
                    if other is not None:  # else the stored card, rather than nothing
                        card, slug = other, name
        except (StorageUnavailable, RenderBusy) as exc:
            await _unavailable(send, exc, ask.head)
            return
        if card is None:
            await send_error(send, 404, _NOT_FOUND, ask.head, cache=self.not_found_cache)
            return

        meta = card.meta
        if is_not_modified(ask.if_none_match, ask.if_modified_since, meta.etag, meta.modified):
            await send_full(send, 304, card.not_modified_headers, b"", True)
            return
        if ask.head:
            await send_full(send, 200, card.ok_headers, b"", True)
            return

        body = catalog.cache.body(slug)
        if body is not None:
            IMAGE_HOT_CACHE.inc()
            await send_full(send, 200, card.ok_headers, body, False)
            return
        if ask.pathsend and not catalog.cache.admit(card) and await self._send_file(card, send):
            return
        if await self._stream(slug, card, send):
            return
        # The cached metadata no longer matches storage (the image was deleted, or rendered
        # again with other bytes): look again past every cache, which also corrects Redis;
        # the lookup renders from the spec when the image is gone.
        try:
            fresh = await catalog.resolve(slug, fresh=True)
        except (StorageUnavailable, RenderBusy) as exc:
            await _unavailable(send, exc, False)
            return
        if fresh is None:
            await send_error(send, 404, _NOT_FOUND, False, cache=self.not_found_cache)
        elif not await self._stream(slug, fresh, send):
            await send_error(send, 503, _RESTORING, False, _RETRY_SOON)

    async def _send_file(self, card: Card, send: Send) -> bool:
        """Local disk, validators known: let the server send the file itself (zero copy, no
        thread hop per chunk). False (nothing sent) when it is not a local file of the known
        size: the streaming path then checks everything."""
        path = card.file
        if path is None:
            path = card.file = self.catalog.storage.local_path(card.meta.key) or ""
        if not path:
            return False
        try:
            # One stat on the loop (microseconds, from the inode cache): a file replaced by
            # one of another size must not go out under the old Content-Length.
            if os.stat(path).st_size != card.meta.size:
                return False
        except OSError:
            return False
        await send({"type": "http.response.start", "status": 200, "headers": card.ok_headers})
        await send({"type": "http.response.pathsend", "path": path})
        IMAGE_FILE_SENT.inc()
        return True

    async def _stream(self, name: str, card: Card, send: Send) -> bool:
        """Stream the body from storage; False when `card` is stale (nothing sent then)."""
        catalog = self.catalog
        keep = card.meta.size <= catalog.cache.item_max_bytes
        parts: list[bytes] = []
        started = False
        try:
            async with catalog.storage.open(card.meta.key) as (info, chunks):
                if meta_from_info(card.meta.key, info) != card.meta:
                    catalog.cache.forget(name)
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
            catalog.cache.forget(name)
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
            catalog.cache.keep_body(name, b"".join(parts))
        return True


async def _unavailable(send: Send, exc: Exception, head: bool) -> None:
    # The same answer the APIs give for the same failure (proxy/http/errors.py).
    await send_described(send, exc, head)
