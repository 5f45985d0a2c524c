"""In-process caches of the hot path: card metadata with ready-made headers, hot bodies
(byte-bounded LRU), and recently missed slugs (a TTL'd negative cache)."""

from __future__ import annotations

import time
from email.utils import formatdate

from cachetools import LRUCache, TTLCache

from proxy.records import ImageMeta

__all__ = ["Card", "HotCache"]

_IMMUTABLE = b"public, max-age=31536000, immutable"


class Card:
    """One servable image: its metadata and the response headers built once, not per request."""

    __slots__ = ("file", "meta", "not_modified_headers", "ok_headers", "sightings")

    def __init__(self, meta: ImageMeta, vary: list[tuple[bytes, bytes]] | None = None) -> None:
        self.meta = meta
        self.sightings = 0  # GETs answered from its file (HotCache.admit)
        # Its local file, resolved once (the checks walk every path component): "" when the
        # storage has no local files, None until asked.
        self.file: str | None = None
        validators = [
            (b"etag", meta.etag.encode("ascii")),
            (b"last-modified", formatdate(meta.modified, usegmt=True).encode("ascii")),
            (b"cache-control", _IMMUTABLE),
            *(vary or ()),
        ]
        # RFC 9110 §15.4.5: a 304 carries the validators and caching fields a 200 would have.
        self.not_modified_headers = validators
        self.ok_headers = [
            (b"content-type", meta.content_type.encode("ascii")),
            (b"content-length", str(meta.size).encode("ascii")),
            (b"x-content-type-options", b"nosniff"),
            *validators,
        ]


class HotCache:
    """Per-worker memory: count-bounded cards, byte-bounded bodies, TTL'd misses.

    Single event loop per worker, so no locks: nothing here awaits.
    """

    def __init__(
        self,
        hot_bytes: int,
        item_max_bytes: int,
        meta_entries: int,
        negative_entries: int,
        negative_ttl: float,
        vary_accept: bool = False,
    ) -> None:
        self._cards: LRUCache[str, Card] = LRUCache(maxsize=meta_entries)
        self._bodies: LRUCache[str, bytes] | None = (
            LRUCache(maxsize=hot_bytes, getsizeof=len) if hot_bytes > 0 else None
        )
        self._missing: TTLCache[str, bool] = TTLCache(maxsize=negative_entries, ttl=negative_ttl)
        self.item_max_bytes = min(item_max_bytes, hot_bytes)
        # Admission of files into memory: a body from memory costs Granian about half what
        # sending the file does (bench_scale.py's floor), but copying a file in evicts another
        # body. So a card is admitted on its second GET, within a byte budget that refills at
        # a tenth of the cache per second: a working set far beyond the cache churns at most
        # that much and is otherwise sent as files, while a hot card gets in at once.
        self._admit_rate = hot_bytes / 10
        self._admit_tokens = self._admit_rate
        self._admit_at = time.monotonic()
        # RFC 9110 §12.5.5: when the format follows Accept, every answer says so, the stored
        # card's included, or a shared cache could hand a WebP to a client that asked for PNG.
        self._vary = [(b"vary", b"Accept")] if vary_accept else None

    def card(self, slug: str) -> Card | None:
        return self._cards.get(slug)

    def body(self, slug: str) -> bytes | None:
        return None if self._bodies is None else self._bodies.get(slug)

    def remember(self, slug: str, meta: ImageMeta) -> Card:
        card = Card(meta, self._vary)
        self._cards[slug] = card
        self._missing.pop(slug, None)
        return card

    def keep_body(self, slug: str, body: bytes) -> None:
        if self._bodies is not None and len(body) <= self.item_max_bytes:
            self._bodies[slug] = body

    def admit(self, card: Card) -> bool:
        """Whether to read `card`'s body into memory now rather than send its file."""
        size = card.meta.size
        if self._bodies is None or size > self.item_max_bytes:
            return False
        card.sightings += 1
        if card.sightings < 2:
            return False
        now = time.monotonic()
        rate = self._admit_rate
        self._admit_tokens = min(
            max(rate, size), self._admit_tokens + (now - self._admit_at) * rate
        )
        self._admit_at = now
        if self._admit_tokens < size:
            return False
        self._admit_tokens -= size
        return True

    def is_missing(self, slug: str) -> bool:
        return slug in self._missing

    def mark_missing(self, slug: str) -> None:
        self._missing[slug] = True

    def forget(self, slug: str) -> None:
        self._cards.pop(slug, None)
        self._missing.pop(slug, None)
        if self._bodies is not None:
            self._bodies.pop(slug, None)

    @property
    def body_bytes(self) -> int:
        return 0 if self._bodies is None else int(self._bodies.currsize)
