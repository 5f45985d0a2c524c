"""RedisOutbox: the durable DeliveryQueue, shared by every worker and node.

Keys (one hash tag, so Redis Cluster keeps them in one slot for the scripts):
  <prefix>:{webhooks}:due      sorted set, id -> due time (ms; for a claimed one, lease end)
  <prefix>:{webhooks}:records  hash, id -> Delivery JSON
  <prefix>:{webhooks}:dead     list of DeadLetter JSON, newest first, capped
Every change is one Lua script (claim.lua, enqueue.lua, settle.lua), so a crash can
never leave a record without its schedule entry or the other way round.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from importlib import resources
from typing import Final, TypeVar

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from proxy.webhooks.outbox import QueueUnavailable
from proxy.webhooks.record import DeadLetter, Delivery

__all__ = ["RedisOutbox"]

_T = TypeVar("_T")


def _script(name: str) -> str:
    return resources.files("proxy.webhooks").joinpath(name).read_text()


_CLAIM: Final = _script("claim.lua")
_ENQUEUE: Final = _script("enqueue.lua")
_SETTLE: Final = _script("settle.lua")


class RedisOutbox:
    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "ogedge",
        timeout: float = 1.0,
        max_dead: int = 10_000,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._max_dead = max_dead
        tag = f"{prefix}:{{webhooks}}"
        self.due_key = f"{tag}:due"
        self.records_key = f"{tag}:records"
        self.dead_key = f"{tag}:dead"
        self._keys = [self.due_key, self.records_key, self.dead_key]
        # Registered once: later calls send EVALSHA and reload the script only if Redis lost it.
        self._claim = client.register_script(_CLAIM)
        self._enqueue = client.register_script(_ENQUEUE)
        self._settle = client.register_script(_SETTLE)
        self._wakeup = asyncio.Event()

    @property
    def wakeup(self) -> asyncio.Event:
        return self._wakeup

    async def enqueue(self, delivery: Delivery) -> None:
        record = msgspec.json.encode(delivery)
        await self._call(self._enqueue(keys=self._keys[:2], args=[delivery.id, record, 0]))
        self._wakeup.set()

    async def claim(self, limit: int, lease: float) -> list[Delivery]:
        raw = await self._call(self._claim(keys=self._keys[:2], args=[limit, int(lease * 1000)]))
        return [msgspec.json.decode(item, type=Delivery) for item in raw]

    async def ack(self, delivery: Delivery) -> bool:
        return await self._settle_call("ack", delivery, "")

    async def retry(self, delivery: Delivery, delay: float) -> bool:
        return await self._settle_call("retry", delivery, int(delay * 1000))

    async def dead(self, delivery: Delivery, reason: str) -> bool:
        letter = msgspec.json.encode(DeadLetter.of(delivery, reason, int(time.time() * 1000)))
        return await self._settle_call("dead", delivery, letter)

    async def depth(self) -> int:
        return int(await self._call(self._client.zcard(self.due_key)))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        raw = await self._call(self._client.lrange(self.dead_key, 0, limit - 1))
        return [msgspec.json.decode(item, type=DeadLetter) for item in raw]

    async def _settle_call(self, mode: str, delivery: Delivery, extra: bytes | int | str) -> bool:
        args: list[bytes | int | str] = [mode, delivery.id, delivery.attempt, extra, self._max_dead]
        return bool(await self._call(self._settle(keys=self._keys, args=args)))

    async def _call(self, awaitable: Awaitable[_T]) -> _T:
        try:
            async with asyncio.timeout(self._timeout):
                return await awaitable
        except (RedisError, OSError, TimeoutError) as exc:
            raise QueueUnavailable(f"webhook queue unavailable: {exc!r}") from exc
