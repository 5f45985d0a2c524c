"""Shared slug -> ImageMeta cache in Redis, so every node answers 304 and HEAD without storage.

Best effort by design: losing Redis loses nothing (storage is the truth), so every failure is
a miss, and a circuit breaker keeps a dead Redis from costing requests a timeout each.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.limits.breaker import CircuitBreaker
from proxy.records import ImageMeta

__all__ = ["MetaStore", "NoMetaStore", "RedisMetaStore"]

log = logging.getLogger("ogedge.metastore")
_decoder = msgspec.msgpack.Decoder(ImageMeta)
_encoder = msgspec.msgpack.Encoder()


class MetaStore(Protocol):
    async def get(self, slug: str) -> ImageMeta | None: ...

    async def put(self, slug: str, meta: ImageMeta) -> None: ...


class NoMetaStore:
    async def get(self, slug: str) -> ImageMeta | None:
        return None

    async def put(self, slug: str, meta: ImageMeta) -> None:
        return None


class RedisMetaStore:
    def __init__(self, client: Redis, breaker: CircuitBreaker, ttl: int, timeout: float) -> None:
        self._client = client
        self._breaker = breaker
        self._ttl = ttl
        self._timeout = timeout

    @staticmethod
    def key(slug: str) -> str:
        # The hash tag keeps each slug's keys on one Redis Cluster slot.
        return f"ogedge:meta:{{{slug}}}"

    async def get(self, slug: str) -> ImageMeta | None:
        if not self._breaker.allow():
            return None
        try:
            raw = await asyncio.wait_for(self._client.get(self.key(slug)), self._timeout)
        except (RedisError, OSError, TimeoutError) as exc:
            self._breaker.failure(exc)
            return None
        self._breaker.success()
        if raw is None:
            return None
        try:
            return _decoder.decode(raw.encode() if isinstance(raw, str) else raw)
        except msgspec.DecodeError:
            log.warning("undecodable metadata for %s in Redis; ignoring it", slug)
            return None

    async def put(self, slug: str, meta: ImageMeta) -> None:
        if not self._breaker.allow():
            return
        try:
            await asyncio.wait_for(
                self._client.set(self.key(slug), _encoder.encode(meta), ex=self._ttl), self._timeout
            )
        except (RedisError, OSError, TimeoutError) as exc:
            self._breaker.failure(exc)
            return
        self._breaker.success()
