"""The console's view of one project: its cards (newest first), its usage against its monthly
quota and its key's rate limit, and its recent webhook deliveries (with re-send).

Cards come from the project's listing index (`Cards.index`, entries sort newest first), then
each card's spec record (template, kind, created) and a HEAD of its image (size); a page is
bounded and the next one starts after the last entry (`next`, an opaque cursor).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass

from proxy import layout
from proxy.cards import Cards
from proxy.catalog import Catalog
from proxy.errors import InvalidInput
from proxy.keys import ApiKey
from proxy.quotas import Quotas, month_of
from proxy.storage.base import ObjectNotFound, Storage
from proxy.webhooks import LoggedDelivery, Outbox

__all__ = ["MAX_PAGE", "CardLine", "CardPage", "Console", "Usage"]

MAX_PAGE = 50
# A cursor is an index entry as `Cards.index` holds it (cards.card_index_entry).
_CURSOR = re.compile(r"[0-9]{13}-[0-9A-Za-z]{12}")


@dataclass(frozen=True, slots=True)
class CardLine:
    slug: str
    url: str
    template: str
    kind: str
    format: str
    title: str
    created: float
    size: int | None  # None while the image is being restored from its spec


@dataclass(frozen=True, slots=True)
class CardPage:
    cards: list[CardLine]
    next: str | None


@dataclass(frozen=True, slots=True)
class Usage:
    project: str
    month: str  # yyyy-mm (UTC)
    used: int
    quota: int  # 0 = unlimited
    renews_in: int  # seconds until the quota renews
    key_id: str
    rate: float
    burst: int


class Console:
    def __init__(
        self, cards: Cards, catalog: Catalog, storage: Storage, quotas: Quotas, outbox: Outbox
    ) -> None:
        self._cards = cards
        self._catalog = catalog
        self._storage = storage
        self._quotas = quotas
        self._outbox = outbox

    async def cards(self, project: str, *, limit: int = 20, start_after: str = "") -> CardPage:
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be 1 to {MAX_PAGE}", "limit")
        if start_after and _CURSOR.fullmatch(start_after) is None:
            raise InvalidInput("startAfter is not a cursor this endpoint gave", "startAfter")
        entries = await self._cards.index.entries(project, start_after=start_after, limit=limit + 1)
        page = entries[:limit]
        lines = await asyncio.gather(*(self._line(entry) for entry in page))
        return CardPage(
            [line for line in lines if line is not None],
            page[-1] if len(entries) > limit else None,
        )

    async def _line(self, entry: str) -> CardLine | None:
        slug = entry.partition("-")[2]
        try:
            record = await self._catalog.read_record(slug)
        except ObjectNotFound:
            return None  # listed but gone (a marker outliving its card)
        try:
            size: int | None = (await self._storage.head(layout.image(slug, record.format))).size
        except ObjectNotFound:
            size = None
        spec = record.spec
        return CardLine(
            slug=slug,
            url=self._cards.image_url(slug),
            template=str(spec.get("template", "")),
            kind=str(spec.get("kind", "og")),
            format=record.format,
            title=str(spec.get("title", "")),
            created=record.created,
            size=size,
        )

    async def usage(self, project: str, key: ApiKey, quota: int) -> Usage:
        month, renews_in = month_of(time.time())
        return Usage(
            project=project,
            month=f"{month[:4]}-{month[4:]}",
            used=await self._quotas.used(project),
            quota=quota,
            renews_in=renews_in,
            key_id=key.id,
            rate=key.rate,
            burst=key.burst,
        )

    async def deliveries(self, project: str, limit: int = 50) -> list[LoggedDelivery]:
        if not 1 <= limit <= 200:
            raise InvalidInput("limit must be 1 to 200", "limit")
        return await self._outbox.deliveries(project, limit)

    async def resend(self, project: str, delivery_id: str) -> LoggedDelivery:
        return await self._outbox.resend(project, delivery_id)
