"""The seam where a slug whose spec exists but whose image does not is rendered on demand.

`RenderFallback` renders from the stored spec record (and the asset bytes stored beside it),
stores the image and describes it; `NoFallback`, the null object, answers "nothing to serve".
One render per slug: the catalog coalesces lookups within a process, `SlugLock` elects one
process across workers and nodes, and the others wait for its image to appear in storage.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

import orjson

import renderer
from proxy import layout
from proxy.observe import metrics
from proxy.publish import store_image
from proxy.records import ImageMeta, SpecRecord, meta_from_info
from proxy.render_pool import RenderBusy, RenderPool
from proxy.slug_lock import SlugLock
from proxy.storage.base import ObjectInfo, ObjectNotFound, ObjectTooLarge, Storage, read_bytes

__all__ = ["VARIANT_BUDGET", "Fallback", "NoFallback", "RenderFallback"]

log = logging.getLogger("ogedge.fallback")
# An asset is an image the API already fetched and checked; this only bounds a damaged one.
_MAX_ASSET_BYTES = 16 * 1024 * 1024
_ASSET_ROLES = ("avatar", "logo", "favicon", "page_image", "template")
# Other formats of a card (WebP/AVIF for browsers, JPEG for crawlers with a byte budget) are
# kept under the smallest budget a platform publishes (WhatsApp's, proxy/http/crawlers.toml).
VARIANT_BUDGET = 300 * 1024


class Fallback(Protocol):
    async def render(
        self, slug: str, record: SpecRecord, fmt: str | None = None
    ) -> ImageMeta | None:
        """Render, store and describe the image for `record` (in `fmt`, another format of the
        same card, when given), or None when it cannot be served."""
        ...


class NoFallback:
    async def render(
        self, slug: str, record: SpecRecord, fmt: str | None = None
    ) -> ImageMeta | None:
        return None


class RenderFallback:
    def __init__(
        self,
        storage: Storage,
        pool: RenderPool,
        lock: SlugLock,
        wait_timeout: float,
        poll_interval: float = 0.05,
    ) -> None:
        self.storage = storage
        self.pool = pool
        self.lock = lock
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.renders = 0

    async def render(
        self, slug: str, record: SpecRecord, fmt: str | None = None
    ) -> ImageMeta | None:
        fmt = fmt or record.format
        key = layout.image(slug, fmt)
        async with self.lock.hold(f"{slug}.{fmt}") as owner:
            if owner:
                # Another process may have finished between our HEAD and the lock.
                return await self._stored(key) or await self._render(slug, record, fmt)
        return await self._wait_for(key)

    async def _render(self, slug: str, record: SpecRecord, fmt: str) -> ImageMeta | None:
        started = time.perf_counter()
        try:
            spec = renderer.parse_spec(orjson.dumps({**record.spec, "format": fmt}))
            loaded = await self._assets(record)
            template = None
            if "template" in loaded:  # a custom template, kept with the card
                template = renderer.parse_template(spec.template, loaded.pop("template"))
            # A variant for crawlers (JPEG) must fit the smallest budget any platform sets.
            budget = VARIANT_BUDGET if fmt != record.format else renderer.MAX_OUTPUT_BYTES
            rendered = await self.pool.run(
                renderer.render,
                spec,
                renderer.Assets(**loaded),
                template=template,
                max_bytes=budget,
            )
        except renderer.RenderError as exc:
            # The record no longer renders (a template was removed, an asset is damaged):
            # the slug cannot be served, which is a 404, not a 500 on every request.
            log.warning("cannot render %s on demand: %s", slug, exc)
            return None
        metrics.observe_render(rendered.template, time.perf_counter() - started)
        metrics.IMAGE_FALLBACK_RENDER.inc()
        meta = await store_image(self.storage, slug, fmt, rendered.data)
        self.renders += 1
        log.info(
            "rendered %s on demand (template %s, %s, %.1f ms)",
            slug,
            rendered.template,
            fmt,
            (time.perf_counter() - started) * 1000,
        )
        return meta

    async def _assets(self, record: SpecRecord) -> dict[str, bytes]:
        loaded: dict[str, bytes] = {}
        for role, key in record.assets.items():
            if role not in _ASSET_ROLES:
                continue
            try:
                loaded[role] = await read_bytes(self.storage, key, _MAX_ASSET_BYTES)
            except ObjectTooLarge as exc:
                raise renderer.AssetError(role, f"stored asset {key} is too large") from exc
        return loaded

    async def _stored(self, key: str) -> ImageMeta | None:
        try:
            info: ObjectInfo = await self.storage.head(key)
        except ObjectNotFound:
            return None
        return meta_from_info(key, info)

    async def _wait_for(self, key: str) -> ImageMeta:
        deadline = time.monotonic() + self.wait_timeout
        while time.monotonic() < deadline:
            meta = await self._stored(key)
            if meta is not None:
                return meta
            await asyncio.sleep(self.poll_interval)
        raise RenderBusy(f"{key} is still being rendered elsewhere")
