"""Catalog: concurrent misses share one lookup; the layers are asked in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from devkit.ogedge import png_bytes
from proxy.cache import HotCache
from proxy.catalog import Catalog
from proxy.fallback import NoFallback
from proxy.metastore import MetaStore
from proxy.publish import publish
from proxy.records import ImageMeta, SpecRecord
from proxy.state import SharedState
from proxy.storage import LocalStorage
from tests.unit.test_image import CountingStorage

SLUG = "Catalog00001"


def make(tmp_path: Path, state: SharedState) -> tuple[Catalog, CountingStorage]:
    storage = CountingStorage(LocalStorage(str(tmp_path)))
    cache = HotCache(1 << 20, 1 << 20, 100, 100, 30.0)
    meta = MetaStore(state, 60)
    return Catalog(cache, meta, storage, NoFallback()), storage  # type: ignore[arg-type]


async def test_concurrent_misses_share_one_storage_lookup(
    tmp_path: Path, shared_state: SharedState
) -> None:
    catalog, storage = make(tmp_path, shared_state)
    meta = await publish(
        storage.inner, SpecRecord(slug=SLUG, project="p", spec={}), png_bytes(64, 64)
    )
    cards = await asyncio.gather(*(catalog.resolve(SLUG) for _ in range(50)))
    assert all(card is not None and card.meta == meta for card in cards)
    assert (storage.opens, storage.heads) == (1, 1)  # one spec read, one image HEAD


async def test_concurrent_unknown_slugs_share_one_lookup_then_negative_cache(
    tmp_path: Path, shared_state: SharedState
) -> None:
    catalog, storage = make(tmp_path, shared_state)
    assert await asyncio.gather(*(catalog.resolve(SLUG) for _ in range(50))) == [None] * 50
    assert storage.reads == 1
    assert await catalog.resolve(SLUG) is None
    assert storage.reads == 1


async def test_fresh_skips_the_caches(tmp_path: Path, shared_state: SharedState) -> None:
    catalog, storage = make(tmp_path, shared_state)
    assert await catalog.resolve(SLUG) is None  # now negatively cached
    await publish(storage.inner, SpecRecord(slug=SLUG, project="p", spec={}), png_bytes(64, 64))
    assert await catalog.resolve(SLUG) is None
    card = await catalog.resolve(SLUG, fresh=True)
    assert card is not None
    assert isinstance(card.meta, ImageMeta)


async def test_a_failed_lookup_reaches_every_waiter_and_is_not_cached(
    tmp_path: Path, shared_state: SharedState
) -> None:
    catalog, storage = make(tmp_path, shared_state)
    await publish(storage.inner, SpecRecord(slug=SLUG, project="p", spec={}), png_bytes(64, 64))
    storage.down = True
    results = await asyncio.gather(
        *(catalog.resolve(SLUG) for _ in range(10)), return_exceptions=True
    )
    assert all(type(r).__name__ == "StorageUnavailable" for r in results)
    storage.down = False
    assert await catalog.resolve(SLUG) is not None
