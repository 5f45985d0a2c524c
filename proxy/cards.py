"""Card production, shared by every way in (Render API, Generate API, signed URLs): derive the
slug, find an existing card, or make a new one once across all workers and nodes.

Making a card: the slug lock (one maker per slug everywhere; the others wait for its record) ->
look again (it may exist by now) -> monthly quota (refunded if anything below fails) -> assets
-> render in the bounded pool -> publish (image, then record) -> listing marker.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
from cachetools import LRUCache

import renderer
from proxy import layout
from proxy.catalog import Catalog
from proxy.errors import Unavailable
from proxy.observe import metrics
from proxy.publish import publish
from proxy.quotas import Quotas
from proxy.records import SpecRecord
from proxy.render_pool import RenderPool
from proxy.slug_lock import SlugLock
from proxy.slugs import Revisions, derive_slug
from proxy.state import StateUnavailable
from proxy.storage.base import ObjectNotFound, Storage
from proxy.storage.index import StoredIndex

__all__ = ["Cards", "Prepared", "card_index_entry"]

# Listing markers sort newest first: this counts down with time (ms) until the year 2286.
_NEWEST_FIRST = 10**13


def card_index_entry(created: float, slug: str) -> str:
    return f"{_NEWEST_FIRST - int(created * 1000):013d}-{slug}"


@dataclass(slots=True)
class Prepared:
    """What a card is made of: its normalised spec, asset bytes and the keys they are stored
    under, and (Generate API) what the page said. Assets named in `optional` are decoration:
    one the renderer cannot decode is left out (and said so in `source`) instead of failing."""

    spec: renderer.RenderSpec
    assets: dict[str, bytes] = field(default_factory=dict)
    asset_keys: dict[str, str] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()


class Cards:
    def __init__(
        self,
        *,
        storage: Storage,
        catalog: Catalog,
        pool: RenderPool,
        quotas: Quotas,
        quota_of: Callable[[str], Awaitable[int]],
        revisions: Revisions,
        lock: SlugLock,
        secret: bytes,
        public_url: str,
        wait_timeout: float,
        poll_interval: float = 0.05,
    ) -> None:
        self._storage = storage
        self._catalog = catalog
        self._pool = pool
        self._quotas = quotas
        self._quota_of = quota_of
        self._revisions = revisions
        self._lock = lock
        self._secret = secret
        self._base = public_url.rstrip("/")
        self._wait_timeout = wait_timeout
        self._poll = poll_interval
        self.index = StoredIndex(storage, layout.CARD_INDEX)
        # Records never change under a slug, so a known one needs no storage read again.
        self._known: LRUCache[str, SpecRecord] = LRUCache(maxsize=50_000)

    def image_url(self, slug: str) -> str:
        return f"{self._base}/i/{slug}"

    async def slug_for(
        self, project: str, identity: str, *, force: bool = False
    ) -> tuple[str, int]:
        """The slug (and revision) of a card: `identity` is the spec hash, or another stable
        key (the Generate API's page key). `force` moves to the next revision."""
        if force:
            revision = await self._revisions.advance(project, identity)
        else:
            revision = await self._revisions.current(project, identity)
        return derive_slug(self._secret, project, identity, revision), revision

    async def existing(self, slug: str) -> SpecRecord | None:
        """The record of `slug` if the card exists."""
        record = self._known.get(slug)
        if record is not None:
            return record
        try:
            record = await self._catalog.read_record(slug)
        except ObjectNotFound:
            return None
        self._known[slug] = record
        return record

    async def make(
        self,
        *,
        slug: str,
        project: str,
        revision: int,
        template: renderer.Template | None,
        prepare: Callable[[], Awaitable[Prepared]],
    ) -> tuple[SpecRecord, bool]:
        """The card of `slug`, made now unless it exists: (record, True when made by this call).

        Raises what `prepare` raises, QuotaExceeded, RenderBusy, StateUnavailable, and the
        renderer's errors; a failed make charges no quota."""
        existing = await self.existing(slug)
        if existing is not None:
            return existing, False  # the common repeat: no lock, no Redis
        deadline = time.monotonic() + self._wait_timeout
        while True:
            async with self._lock.hold(slug) as owner:
                existing = await self.existing(slug)
                if existing is not None:
                    return existing, False
                if owner:
                    record = await self._make(slug, project, revision, template, prepare)
                    return record, True
            # Another process is making it: its record appears, or its lock goes and we try.
            if time.monotonic() > deadline:
                raise Unavailable(f"card {slug} is still being made elsewhere", retry_after=1)
            await asyncio.sleep(self._poll)

    async def _make(
        self,
        slug: str,
        project: str,
        revision: int,
        template: renderer.Template | None,
        prepare: Callable[[], Awaitable[Prepared]],
    ) -> SpecRecord:
        await self._quotas.take(project, await self._quota_of(project))
        try:
            prepared = await prepare()
            spec = prepared.spec
            rendered = await self._render(template, prepared)
            metrics.observe_render(rendered.template, rendered.elapsed_ms / 1000)
            record = SpecRecord(
                slug=slug,
                project=project,
                spec=msgspec.to_builtins(spec),
                format=spec.format,
                template_version=rendered.template_version,
                revision=revision,
                created=time.time(),
                assets=prepared.asset_keys,
                source=prepared.source,
            )
            await publish(self._storage, record, rendered.data)
        except BaseException:
            # The original error is what the client must see, even if Redis is down now.
            with contextlib.suppress(StateUnavailable):
                await self._quotas.give_back(project)
            raise
        self._known[slug] = record
        self._catalog.forget(slug)  # this worker may remember the slug as missing
        await self.index.add(project, card_index_entry(record.created, slug))
        return record

    async def _render(
        self, template: renderer.Template | None, prepared: Prepared
    ) -> renderer.Rendered:
        while True:
            try:
                return await self._pool.run(
                    renderer.render,
                    prepared.spec,
                    renderer.Assets(**prepared.assets),
                    template=template,
                )
            except renderer.AssetError as exc:
                if exc.field not in prepared.optional or exc.field not in prepared.assets:
                    raise
                # A favicon with a bad CRC or an ICO the decoder refuses: render without it.
                del prepared.assets[exc.field]
                prepared.asset_keys.pop(exc.field, None)
                prepared.source[f"{exc.field}_omitted"] = exc.message
