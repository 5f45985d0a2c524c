"""Who renders a slug on demand: one process across all workers and nodes.

Within a process the catalog already coalesces concurrent lookups; across processes a Redis
lock (SET NX PX, released by token) elects the renderer and the others wait for its image.
Redis absent, down or frozen: every process may render (at most one each), which wastes a
little CPU but never blocks an image on a dead Redis.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.limits.breaker import CircuitBreaker

__all__ = ["LocalSlugLock", "RedisSlugLock", "SlugLock"]

_RELEASE = resources.files("proxy").joinpath("lock_release.lua").read_text()


class SlugLock(Protocol):
    def hold(self, slug: str) -> AbstractAsyncContextManager[bool]:
        """An async context yielding True when this process should render `slug`."""
        ...


class LocalSlugLock:
    @asynccontextmanager
    async def hold(self, slug: str) -> AsyncIterator[bool]:
        yield True


class RedisSlugLock:
    def __init__(self, client: Redis, breaker: CircuitBreaker, ttl: float, timeout: float) -> None:
        self._client = client
        self._breaker = breaker
        self._ttl_ms = int(ttl * 1000)
        self._timeout = timeout
        self._release = client.register_script(_RELEASE)

    @staticmethod
    def key(slug: str) -> str:
        return f"ogedge:render:{{{slug}}}"

    @asynccontextmanager
    async def hold(self, slug: str) -> AsyncIterator[bool]:
        token = secrets.token_hex(16)
        owner = await self._acquire(slug, token)
        try:
            yield owner
        finally:
            if owner:
                await self._call(self._release(keys=[self.key(slug)], args=[token]))

    async def _acquire(self, slug: str, token: str) -> bool:
        if not self._breaker.allow():
            return True
        result = await self._call(self._client.set(self.key(slug), token, nx=True, px=self._ttl_ms))
        # None from _call means Redis failed: render locally rather than wait on nobody.
        return result is None or bool(result)

    async def _call(self, awaitable: Awaitable[Any]) -> object | None:
        try:
            result: object = await asyncio.wait_for(awaitable, self._timeout)
        except (RedisError, OSError, TimeoutError) as exc:
            self._breaker.failure(exc)
            return None
        self._breaker.success()
        return result if result is not None else False
