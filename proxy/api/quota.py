"""Monthly render quotas per project, counted on new renders only.

Redis holds one counter per project and month (`ogedge:quota:{<project>}:<yyyymm>`), shared by
every node; without Redis each worker counts alone (a single-process install is exact).
"""

from __future__ import annotations

import asyncio
import calendar
import time
from collections.abc import Awaitable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.limits.breaker import CircuitBreaker

__all__ = ["LocalQuota", "QuotaExceeded", "QuotaUnavailable", "Quotas", "RedisQuota"]


class QuotaExceeded(Exception):
    def __init__(self, quota: int, retry_after: int) -> None:
        super().__init__(f"monthly quota of {quota} renders is used up")
        self.retry_after = retry_after


class QuotaUnavailable(Exception):
    """Redis is configured but unreachable: a render cannot be accounted for."""


class Quotas(Protocol):
    async def take(self, project: str, quota: int) -> None:
        """Count one new render; raise QuotaExceeded when over `quota` (0 = unlimited)."""
        ...

    async def give_back(self, project: str) -> None:
        """Undo `take` for a render that failed."""
        ...


def _month(now: float) -> tuple[str, int]:
    """The UTC month `yyyymm` and the seconds until the next one (the quota's Retry-After)."""
    t = time.gmtime(now)
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    next_month = calendar.timegm((year, month, 1, 0, 0, 0))
    return f"{t.tm_year:04d}{t.tm_mon:02d}", max(1, next_month - int(now))


class LocalQuota:
    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], int] = {}

    async def take(self, project: str, quota: int) -> None:
        month, retry = _month(time.time())
        used = self._counts.get((project, month), 0)
        if quota and used >= quota:
            raise QuotaExceeded(quota, retry)
        self._counts[(project, month)] = used + 1

    async def give_back(self, project: str) -> None:
        month, _ = _month(time.time())
        key = (project, month)
        if self._counts.get(key, 0) > 0:
            self._counts[key] -= 1


class RedisQuota:
    def __init__(self, client: Redis, breaker: CircuitBreaker, timeout: float) -> None:
        self._client = client
        self._breaker = breaker
        self._timeout = timeout

    @staticmethod
    def key(project: str, month: str) -> str:
        return f"ogedge:quota:{{{project}}}:{month}"

    async def take(self, project: str, quota: int) -> None:
        month, retry = _month(time.time())
        key = self.key(project, month)
        used = await self._call(self._incr(key))
        if quota and used > quota:
            await self._call(self._client.decr(key))
            raise QuotaExceeded(quota, retry)

    async def give_back(self, project: str) -> None:
        month, _ = _month(time.time())
        await self._call(self._client.decr(self.key(project, month)))

    async def _incr(self, key: str) -> int:
        pipe = self._client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, 40 * 24 * 3600)  # outlives its month, then cleans itself up
        used, _ = await pipe.execute()
        return int(used)

    async def _call(self, awaitable: Awaitable[Any]) -> int:
        if not self._breaker.allow():
            raise QuotaUnavailable("Redis is unavailable")
        try:
            result = await asyncio.wait_for(awaitable, self._timeout)
        except (RedisError, OSError, TimeoutError) as exc:
            self._breaker.failure(exc)
            raise QuotaUnavailable(f"Redis is unavailable: {exc}") from exc
        self._breaker.success()
        return int(result)
