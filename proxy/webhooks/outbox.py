"""The webhook outbox: a durable queue of deliveries in Redis that every worker's Dispatcher drains.

Keys (one hash tag, so Redis Cluster keeps them in one slot for the scripts):
  <prefix>:webhooks:{webhooks}:due      sorted set, id -> due time (ms; for a claimed one, lease end)
  <prefix>:webhooks:{webhooks}:records  hash, id -> Delivery JSON
  <prefix>:webhooks:{webhooks}:dead     list of DeadLetter JSON, newest first, capped
  <prefix>:webhooks:{webhooks}:log:<project>     sorted set, id -> last change (µs): the
  <prefix>:webhooks:{webhooks}:logrec:<project>  project's recent deliveries (a hash of
                                                 LoggedDelivery JSON), the newest `max_log`
Every change is one Lua script (claim.lua, enqueue.lua, settle.lua, resend.lua), so a crash can
never leave a record without its schedule entry, or a log line behind its delivery.

A dead-lettered delivery of a project can be re-sent (`resend`): it is queued again under the
same id, so the receiver sees the same `webhook-id` (Standard Webhooks' idempotency key: a
receiver that did process it after all drops the repeat) with a fresh timestamp and signature.

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

from proxy.errors import Conflict, NotFound
from proxy.state import SharedState
from proxy.webhooks.record import DeadLetter, Delivery, LoggedDelivery

__all__ = ["Outbox"]


def _script(name: str) -> str:
    return resources.files("proxy.webhooks").joinpath(name).read_text()


T = TypeVar("T")
_CLAIM: Final = _script("claim.lua")
_ENQUEUE: Final = _script("enqueue.lua")
_SETTLE: Final = _script("settle.lua")
_RESEND: Final = _script("resend.lua")
_RESEND_REFUSED: Final = {
    -2: "only a dead-lettered delivery can be re-sent",
    -3: "this delivery was dead-lettered without its signing key; it cannot be re-sent",
}
# Claims move up to `concurrency` records: allow more than the per-call default.
_MIN_TIMEOUT: Final = 1.0


class Outbox:
    def __init__(self, state: SharedState, *, max_dead: int = 10_000, max_log: int = 200) -> None:
        self._state = state
        self._timeout = max(state.timeout, _MIN_TIMEOUT)
        self._max_dead = max_dead
        self._max_log = max_log
        self.due_key = state.key("webhooks", "webhooks", "due")
        self.records_key = state.key("webhooks", "webhooks", "records")
        self.dead_key = state.key("webhooks", "webhooks", "dead")
        self._keys = [self.due_key, self.records_key, self.dead_key]
        # Registered once: later calls send EVALSHA and reload the script only if Redis lost it.
        self._claim = state.script(_CLAIM)
        self._enqueue = state.script(_ENQUEUE)
        self._settle = state.script(_SETTLE)
        self._resend = state.script(_RESEND)
        # Set by enqueue: wakes a dispatcher in the same process at once instead of at its next poll.
        self.wakeup = asyncio.Event()

    async def enqueue(self, delivery: Delivery) -> None:
        """Queue `delivery`, due now (idempotent on its id)."""
        record = msgspec.json.encode(delivery)
        keys = self._keys[:2]
        args: list[bytes | int | str] = [delivery.id, record, 0]
        if delivery.project:
            keys = [*keys, *self.log_keys(delivery.project)]
            args += [msgspec.json.encode(LoggedDelivery.of(delivery)), self._max_log]
        await self._call(lambda: self._enqueue(keys=keys, args=args))
        self.wakeup.set()

    def log_keys(self, project: str) -> list[str]:
        """The project's recent-deliveries log: its order (zset) and its entries (hash)."""
        return [
            self._state.key("webhooks", "webhooks", "log", project),
            self._state.key("webhooks", "webhooks", "logrec", project),
        ]

    async def claim(self, limit: int, lease: float) -> list[Delivery]:
        """Up to `limit` due deliveries, each with `attempt` counted and hidden for `lease` s."""
        raw = await self._call(
            lambda: self._claim(keys=self._keys[:2], args=[limit, int(lease * 1000)])
        )
        return [msgspec.json.decode(item, type=Delivery) for item in raw]

    async def ack(self, delivery: Delivery) -> bool:
        """Delivered: forget it. False if our claim was superseded (the lease ran out)."""
        return await self._settle_call("ack", delivery, "")

    async def retry(self, delivery: Delivery, delay: float, reason: str = "") -> bool:
        """Failed; try again after `delay` seconds (`reason` goes to the project's log)."""
        return await self._settle_call("retry", delivery, int(delay * 1000), reason)

    async def dead(self, delivery: Delivery, reason: str) -> bool:
        """Give up on it; keep a DeadLetter (bounded) for inspection."""
        letter = msgspec.json.encode(DeadLetter.of(delivery, reason, int(time.time() * 1000)))
        return await self._settle_call("dead", delivery, letter, reason)

    async def deliveries(self, project: str, limit: int = 50) -> list[LoggedDelivery]:
        """The project's recent deliveries, latest change first (secrets and payloads left out)."""
        order, entries = self.log_keys(project)
        client = self._state.client
        ids = list(await self._call(lambda: client.zrevrange(order, 0, limit - 1)))
        if not ids:
            return []
        raw = await self._call(lambda: client.hmget(entries, ids))  # type: ignore[arg-type]
        out = []
        for item in raw:
            if item is not None:
                entry = msgspec.json.decode(item, type=LoggedDelivery)
                out.append(msgspec.structs.replace(entry, secret="", payload=b""))
        return out

    async def resend(self, project: str, delivery_id: str) -> LoggedDelivery:
        """Queue a dead-lettered delivery of `project` again under the same id (a new series
        of attempts). Raises NotFound (not in the project's log), Conflict (not dead)."""
        keys = self._keys[:2] + self.log_keys(project)
        answer = await self._call(lambda: self._resend(keys=keys, args=[delivery_id, project]))
        if isinstance(answer, int):
            if answer == -1:
                raise NotFound(f"no delivery {delivery_id!r} in this project", "id")
            raise Conflict(_RESEND_REFUSED.get(answer, "cannot be re-sent"), "id")
        self.wakeup.set()
        entry = msgspec.json.decode(answer, type=LoggedDelivery)
        return msgspec.structs.replace(entry, secret="", payload=b"")

    async def depth(self) -> int:
        """Deliveries pending, in flight included."""
        client = self._state.client
        return int(await self._call(lambda: client.zcard(self.due_key)))

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The newest dead letters first."""
        client = self._state.client
        raw = await self._call(lambda: client.lrange(self.dead_key, 0, limit - 1))
        return [msgspec.json.decode(item, type=DeadLetter) for item in raw]

    async def _settle_call(
        self, mode: str, delivery: Delivery, extra: bytes | int | str, reason: str = ""
    ) -> bool:
        args: list[bytes | int | str] = [mode, delivery.id, delivery.attempt, extra, self._max_dead]
        keys = self._keys
        if delivery.project:
            keys = [*keys, *self.log_keys(delivery.project)]
            args.append(reason)
        return bool(await self._call(lambda: self._settle(keys=keys, args=args)))

    async def _call(self, op: Callable[[], Awaitable[T]]) -> T:
        return await self._state.call(op, self._timeout)
