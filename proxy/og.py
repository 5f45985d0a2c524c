"""GET/HEAD /og/…: cards named by a URL (a signed render URL, or a page of an allow-listed
host), answered with the image itself, like `/i/<slug>`.

Top to bottom: admitted like `/i/` (method, rate limit) -> the URL's slug from this worker's
memory of URLs it has resolved (the exact path and query bytes) -> else resolved once
(signature or allow-list, fields, the card made on the first request: proxy/og_links.py) ->
delivered by the `/i/` code (crawler formats, 304, hot cache, storage stream).

A remembered URL is trusted for at most `recheck` seconds (and never past its `expires`), so
a revoked signing key or host stops new resolutions everywhere within that time; the card
itself stays served like any `/i/` card.
"""

from __future__ import annotations

import time
from typing import Any

from proxy.http.errors import send_described
from proxy.http.responses import Send
from proxy.image import ImageEndpoint
from proxy.og_links import OgLinks

__all__ = ["OgEndpoint"]


class OgEndpoint:
    def __init__(
        self,
        image: ImageEndpoint,
        links: OgLinks,
        recheck: float = 60.0,
        maxsize: int = 100_000,
    ) -> None:
        self.image = image
        self.links = links
        self.recheck = recheck
        # (path, query) -> (slug, trusted until): what makes every later request an /i/ hit.
        # A plain dict, oldest entry out when full: a lookup costs what an /i/ slug check does
        # (an LRU's bookkeeping would cost more than the rest of the request's own work).
        self._known: dict[tuple[str, bytes], tuple[str, float]] = {}
        self._maxsize = maxsize

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        ask = await self.image.admit(scope, send)
        if ask is None:
            return
        path, query = scope["path"], scope["query_string"]
        known = self._known.get((path, query))
        now = time.time()
        if known is not None and now < known[1]:
            await self.image.deliver(send, known[0], ask)
            return
        try:
            slug, expires = await self.links.slug(path, query)
        except Exception as exc:  # every failure becomes its one documented answer
            await send_described(send, exc, ask.head)
            return
        until = now + self.recheck if expires is None else min(now + self.recheck, expires)
        known_urls = self._known
        if len(known_urls) >= self._maxsize:
            del known_urls[next(iter(known_urls))]
        known_urls[(path, query)] = (slug, until)
        await self.image.deliver(send, slug, ask)
