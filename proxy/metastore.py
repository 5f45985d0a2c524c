"""Shared slug -> ImageMeta cache in Redis, so every node answers 304 and HEAD without storage.

Best effort by design: losing Redis loses nothing (storage is the truth), so an unavailable
Redis is a miss and a skipped write.
"""

from __future__ import annotations

import logging

import msgspec

from proxy.records import ImageMeta
from proxy.state import SharedState, StateUnavailable

__all__ = ["MetaStore"]

log = logging.getLogger("ogedge.metastore")
_decoder = msgspec.msgpack.Decoder(ImageMeta)
_encoder = msgspec.msgpack.Encoder()


class MetaStore:
    def __init__(self, state: SharedState, ttl: int) -> None:
        self._state = state
        self._ttl = ttl

    def key(self, slug: str) -> str:
        # The hash tag keeps each slug's keys on one Redis Cluster slot.
        return self._state.key("meta", slug)

    async def get(self, slug: str) -> ImageMeta | None:
        client = self._state.client
        try:
            raw = await self._state.call(lambda: client.get(self.key(slug)))
        except StateUnavailable:
            return None
        if raw is None:
            return None
        try:
            return _decoder.decode(raw.encode() if isinstance(raw, str) else raw)
        except msgspec.DecodeError:
            log.warning("undecodable metadata for %s in Redis; ignoring it", slug)
            return None

    async def put(self, slug: str, meta: ImageMeta) -> None:
        client = self._state.client
        try:
            await self._state.call(
                lambda: client.set(self.key(slug), _encoder.encode(meta), ex=self._ttl)
            )
        except StateUnavailable:
            return
