"""Slug -> Card: what the hot path knows about a slug, from the cheapest place that knows it.

Order: this worker's memory, its negative cache, Redis (shared by all nodes), then storage
(the spec record, then a HEAD of the image), then the on-demand fallback render.
Concurrent misses for one slug share a single lookup.
"""

from __future__ import annotations

import asyncio

from proxy import layout
from proxy.cache import Card, HotCache
from proxy.fallback import Fallback
from proxy.metastore import MetaStore
from proxy.records import FORMATS, ImageMeta, SpecRecord, meta_from_info
from proxy.storage.base import ObjectNotFound, Storage
from proxy.storage.documents import CorruptDocument, read_json

__all__ = ["Catalog", "variant"]


def variant(slug: str, fmt: str) -> str:
    """The catalog name of another format of a card: `<slug>.<fmt>` (slugs have no dots)."""
    return f"{slug}.{fmt}"


class Catalog:
    def __init__(
        self, cache: HotCache, metastore: MetaStore, storage: Storage, fallback: Fallback
    ) -> None:
        self.cache = cache
        self.metastore = metastore
        self.storage = storage
        self.fallback = fallback
        self._inflight: dict[str, asyncio.Future[Card | None]] = {}

    async def resolve(self, slug: str, fresh: bool = False) -> Card | None:
        """The card for `slug` (or for `variant(slug, fmt)`: that format of it, rendered from
        the spec once when missing), or None if it does not exist. Raises StorageUnavailable.

        `fresh` skips every cache (memory, negative, Redis) and asks storage again.
        """
        if fresh:
            self.cache.forget(slug)
        else:
            card = self.cache.card(slug)
            if card is not None:
                return card
            if self.cache.is_missing(slug):
                return None
        pending = self._inflight.get(slug)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Card | None] = asyncio.get_running_loop().create_future()
        self._inflight[slug] = future
        try:
            card = await self._lookup(slug, fresh)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters may be none
            raise
        else:
            future.set_result(card)
            return card
        finally:
            del self._inflight[slug]

    def forget(self, slug: str) -> None:
        self.cache.forget(slug)
        for fmt in FORMATS:
            self.cache.forget(variant(slug, fmt))

    async def _lookup(self, slug: str, fresh: bool) -> Card | None:
        meta = None if fresh else await self.metastore.get(slug)
        if meta is None:
            meta = await self._from_storage(slug)
            if meta is None:
                self.cache.mark_missing(slug)
                return None
            await self.metastore.put(slug, meta)
        return self.cache.remember(slug, meta)

    async def _from_storage(self, name: str) -> ImageMeta | None:
        slug, _, fmt = name.partition(".")
        try:
            record = await self.read_record(slug)
        except ObjectNotFound:
            return None
        fmt = fmt or record.format
        key = layout.image(slug, fmt)
        try:
            info = await self.storage.head(key)
        except ObjectNotFound:
            return await self.fallback.render(slug, record, fmt)
        return meta_from_info(key, info)

    async def read_record(self, slug: str) -> SpecRecord:
        """The spec record of `slug`. Raises ObjectNotFound, StorageUnavailable."""
        try:
            record = await read_json(self.storage, layout.spec(slug), SpecRecord)
        except CorruptDocument as exc:
            # A damaged record serves nothing rather than a 500 on every request.
            raise ObjectNotFound(f"unreadable spec record for {slug}: {exc}") from exc
        if record is None:
            raise ObjectNotFound(layout.spec(slug))
        return record
