"""The webhook outbox: a queue of deliveries that a Dispatcher drains.

`Outbox` is all the API needs (enqueue). `DeliveryQueue` adds what a Dispatcher needs:
claim due deliveries under a lease (the visibility timeout), then settle each one: ack,
retry later, or dead-letter. A claimed delivery never settled (its worker died) falls due
again when its lease ends, so delivery is at least once; receivers deduplicate on
`webhook-id`.

Backends: RedisOutbox (redis_outbox.py), durable across restarts and shared by every
worker and node; LocalOutbox here, for setups without Redis: in memory, per worker, so a
restart loses whatever it still holds.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

import msgspec

from proxy.webhooks.record import DeadLetter, Delivery

__all__ = ["DeliveryQueue", "LocalOutbox", "Outbox", "QueueFull", "QueueUnavailable"]


class QueueUnavailable(Exception):
    """The queue's store (Redis) failed or timed out; nothing was changed or claimed."""


class QueueFull(Exception):
    """The in-process outbox is at its bound; the delivery was not queued."""


class Outbox(Protocol):
    async def enqueue(self, delivery: Delivery) -> None:
        """Queue `delivery`, due now. Raises QueueUnavailable or QueueFull if it was not."""
        ...


class DeliveryQueue(Outbox, Protocol):
    # Set by enqueue: wakes a dispatcher in the same process at once instead of at its next poll.
    @property
    def wakeup(self) -> asyncio.Event: ...

    async def claim(self, limit: int, lease: float) -> list[Delivery]:
        """Up to `limit` due deliveries, each with `attempt` counted and hidden for `lease` s."""
        ...

    async def ack(self, delivery: Delivery) -> bool:
        """Delivered: forget it. False if our claim was superseded (lease ran out)."""
        ...

    async def retry(self, delivery: Delivery, delay: float) -> bool:
        """Failed, try again after `delay` seconds."""
        ...

    async def dead(self, delivery: Delivery, reason: str) -> bool:
        """Give up on it; keep a DeadLetter (bounded) for inspection."""
        ...

    async def depth(self) -> int:
        """Deliveries pending, in flight included."""
        ...

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters first."""
        ...


class LocalOutbox:
    """In-process DeliveryQueue for one worker without Redis. NOT durable: a restart or a
    crash loses every pending delivery (documented; configure Redis to keep them)."""

    def __init__(
        self,
        max_pending: int = 10_000,
        max_dead: int = 1_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._max_pending = max_pending
        self._clock = clock
        self._records: dict[str, Delivery] = {}
        # (due ms, sequence, id); entries whose due time no longer matches the record are stale.
        self._heap: list[tuple[int, int, str]] = []
        self._seq = 0
        self._dead: deque[DeadLetter] = deque(maxlen=max_dead)
        self._wakeup = asyncio.Event()

    @property
    def wakeup(self) -> asyncio.Event:
        return self._wakeup

    async def enqueue(self, delivery: Delivery) -> None:
        if delivery.id in self._records:
            return
        if len(self._records) >= self._max_pending:
            raise QueueFull(f"{self._max_pending} webhook deliveries already pending")
        self._schedule(delivery, self._now_ms())
        self._wakeup.set()

    async def claim(self, limit: int, lease: float) -> list[Delivery]:
        now = self._now_ms()
        out: list[Delivery] = []
        while self._heap and self._heap[0][0] <= now and len(out) < limit:
            due, _, msg_id = heapq.heappop(self._heap)
            record = self._records.get(msg_id)
            if record is None or record.next_at != due:
                continue  # settled or rescheduled since this entry was pushed
            claimed = msgspec.structs.replace(record, attempt=record.attempt + 1)
            self._schedule(claimed, now + int(lease * 1000))
            out.append(self._records[msg_id])
        return out

    async def ack(self, delivery: Delivery) -> bool:
        return self._owned(delivery) and self._records.pop(delivery.id, None) is not None

    async def retry(self, delivery: Delivery, delay: float) -> bool:
        if not self._owned(delivery):
            return False
        self._schedule(self._records[delivery.id], self._now_ms() + int(delay * 1000))
        return True

    async def dead(self, delivery: Delivery, reason: str) -> bool:
        if not self._owned(delivery):
            return False
        del self._records[delivery.id]
        self._dead.appendleft(DeadLetter.of(delivery, reason, self._now_ms()))
        return True

    async def depth(self) -> int:
        return len(self._records)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return list(self._dead)[:limit]

    def _owned(self, delivery: Delivery) -> bool:
        # Same fencing as settle.lua: only the latest claim may settle a delivery.
        current = self._records.get(delivery.id)
        return current is not None and current.attempt == delivery.attempt

    def _schedule(self, delivery: Delivery, due: int) -> None:
        self._records[delivery.id] = msgspec.structs.replace(delivery, next_at=due)
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, delivery.id))

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)
