"""The webhook outbox: a durable queue of deliveries in Redis that every worker's Dispatcher drains.

Keys (one hash tag, so Redis Cluster keeps them in one slot for the scripts):
  <prefix>:webhooks:{webhooks}:due      sorted set, id -> due time (ms; for a claimed one, lease end)
  <prefix>:webhooks:{webhooks}:records  hash, id -> Delivery JSON
  <prefix>:webhooks:{webhooks}:dead     list of DeadLetter JSON, newest first, capped
Every change is one Lua script (claim.lua, enqueue.lua, settle.lua), so a crash can never leave
a record without its schedule entry or the other way round.

A claimed delivery is hidden for a lease (the visibility timeout) and then settled: ack, retry
later, or dead-letter. One never settled (its worker died) falls due again when its lease ends,
so delivery is at least once; receivers deduplicate on `webhook-id`. Every call raises
StateUnavailable when Redis cannot answer; nothing was changed or claimed then.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Final, TypeVar

import msgspec

from proxy.state import SharedState
from proxy.webhooks.record import DeadLetter, Delivery

__all__ = ["Outbox"]


def _script(name: str) -> str:
    return resources.files("proxy.webhooks").joinpath(name).read_text()


T = TypeVar("T")
_CLAIM: Final = _script("claim.lua")
_ENQUEUE: Final = _script("enqueue.lua")
_SETTLE: Final = _script("settle.lua")
# Claims move up to `concurrency` records: allow more than the per-call default.
_MIN_TIMEOUT: Final = 1.0


class Outbox:
    def __init__(self, state: SharedState, *, max_dead: int = 10_000) -> None:
        self._state = state
        self._timeout = max(state.timeout, _MIN_TIMEOUT)
        self._max_dead = max_dead
        self.due_key = state.key("webhooks", "webhooks", "due")
        self.records_key = state.key("webhooks", "webhooks", "records")
        self.dead_key = state.key("webhooks", "webhooks", "dead")
        self._keys = [self.due_key, self.records_key, self.dead_key]
        # Registered once: later calls send EVALSHA and reload the script only if Redis lost it.
        self._claim = state.script(_CLAIM)
        self._enqueue = state.script(_ENQUEUE)
        self._settle = state.script(_SETTLE)
        # Set by enqueue: wakes a dispatcher in the same process at once instead of at its next poll.
        self.wakeup = asyncio.Event()

    async def enqueue(self, delivery: Delivery) -> None:
        """Queue `delivery`, due now (idempotent on its id)."""
        record = msgspec.json.encode(delivery)
        await self._call(lambda: self._enqueue(keys=self._keys[:2], args=[delivery.id, record, 0]))
        self.wakeup.set()

    async def claim(self, limit: int, lease: float) -> list[Delivery]:
        """Up to `limit` due deliveries, each with `attempt` counted and hidden for `lease` s."""
        raw = await self._call(
            lambda: self._claim(keys=self._keys[:2], args=[limit, int(lease * 1000)])
        )
        return [msgspec.json.decode(item, type=Delivery) for item in raw]

    async def ack(self, delivery: Delivery) -> bool:
        """Delivered: forget it. False if our claim was superseded (the lease ran out)."""
        return await self._settle_call("ack", delivery, "")

    async def retry(self, delivery: Delivery, delay: float) -> bool:
        """Failed; try again after `delay` seconds."""
        return await self._settle_call("retry", delivery, int(delay * 1000))

    async def dead(self, delivery: Delivery, reason: str) -> bool:
        """Give up on it; keep a DeadLetter (bounded) for inspection."""
        letter = msgspec.json.encode(DeadLetter.of(delivery, reason, int(time.time() * 1000)))
        return await self._settle_call("dead", delivery, letter)

    async def depth(self) -> int:
        """Deliveries pending, in flight included."""
        client = self._state.client
        return int(await self._call(lambda: client.zcard(self.due_key)))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters first."""
        client = self._state.client
        raw = await self._call(lambda: client.lrange(self.dead_key, 0, limit - 1))
        return [msgspec.json.decode(item, type=DeadLetter) for item in raw]

    async def _settle_call(self, mode: str, delivery: Delivery, extra: bytes | int | str) -> bool:
        args: list[bytes | int | str] = [mode, delivery.id, delivery.attempt, extra, self._max_dead]
        return bool(await self._call(lambda: self._settle(keys=self._keys, args=args)))

    async def _call(self, op: Callable[[], Awaitable[T]]) -> T:
        return await self._state.call(op, self._timeout)
