"""Dispatcher: one background task per worker that drains the outbox.

It claims due deliveries (each under a lease, the visibility timeout), POSTs each through
the guarded client with fresh Standard Webhooks headers, and settles it: ack on 2xx, retry
with backoff on what may pass later, dead-letter on what never will or after the last
attempt. `stop()` leaves everything undelivered in the queue: unclaimed deliveries stay due,
and the lease of one cut off mid-POST runs out, so the next dispatcher delivers it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from config.settings import WebhookSettings
from proxy.netguard import FetchError, GuardedClient
from proxy.state import StateUnavailable
from proxy.webhooks.outbox import Outbox
from proxy.webhooks.record import Delivery
from proxy.webhooks.retry import Outcome, Verdict, backoff, judge_error, judge_status
from proxy.webhooks.signing import secret_key, sign

__all__ = ["DispatchStats", "Dispatcher"]

log = logging.getLogger("ogedge.webhooks")

# Receivers answer with a short acknowledgement; the body is read only to free the connection.
_MAX_ANSWER_BYTES: Final = 64 * 1024
# A receiver's Retry-After is honoured as given, up to this: a far-future date must not
# park a delivery (and its record in Redis) for months.
_MAX_RETRY_AFTER: Final = 24 * 3600.0
# Longest pause between polls while the queue store is down.
_MAX_OUTAGE_PAUSE: Final = 30.0


@dataclass(slots=True)
class DispatchStats:
    """Counters for metrics; they only ever grow."""

    delivered: int = 0
    failed: int = 0  # attempts that did not deliver (each is then retried or dead-lettered)
    retried: int = 0
    dead: int = 0
    superseded: int = 0  # settled by another worker after our lease ran out
    queue_errors: int = 0
    polls: int = 0  # claims asked of the queue (tests wait on it instead of sleeping)


class Dispatcher:
    def __init__(
        self,
        queue: Outbox,
        client: GuardedClient,
        settings: WebhookSettings,
        *,
        stop_grace: float = 5.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._queue = queue
        self._client = client
        self._settings = settings
        self._stop_grace = stop_grace
        self._rng = rng
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self.stats = DispatchStats()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Stop claiming, give deliveries in flight `stop_grace` s to finish, cancel the rest."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=self._stop_grace)
            for pending in self._inflight:
                pending.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def depth(self) -> int:
        """Deliveries pending in the queue (every worker's, in flight included)."""
        return await self._queue.depth()

    async def _run(self) -> None:
        outage = 0
        while True:
            free = self._settings.concurrency - len(self._inflight)
            claimed: list[Delivery] = []
            if free > 0:
                # Cleared before claiming: an enqueue during the claim still wakes the next wait.
                self._queue.wakeup.clear()
                try:
                    self.stats.polls += 1
                    claimed = await self._queue.claim(free, self._settings.visibility_timeout)
                except StateUnavailable as exc:
                    outage += 1
                    self.stats.queue_errors += 1
                    (log.warning if outage == 1 else log.debug)("%s", exc)
                    pause = self._settings.poll_interval * 2 ** min(outage, 10)
                    await asyncio.sleep(min(pause, _MAX_OUTAGE_PAUSE))
                    continue
                outage = 0
                for delivery in claimed:
                    self._spawn(delivery)
            if free > 0 and len(claimed) == free:
                continue  # a full batch: more may be due already
            await self._wait()

    def _spawn(self, delivery: Delivery) -> None:
        task = asyncio.create_task(self._deliver(delivery), name=f"webhook-{delivery.id}")
        self._inflight.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._inflight.discard(t)
            self._slot_freed.set()

        task.add_done_callback(done)

    async def _wait(self) -> None:
        waiters = [
            asyncio.ensure_future(self._queue.wakeup.wait()),
            asyncio.ensure_future(self._slot_freed.wait()),
        ]
        try:
            await asyncio.wait(
                waiters, timeout=self._settings.poll_interval, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
            self._slot_freed.clear()

    async def _deliver(self, delivery: Delivery) -> None:
        verdict = await self._attempt(delivery)
        try:
            settled = await self._settle(delivery, verdict)
        except StateUnavailable as exc:
            # Unsettled: the lease runs out and the delivery is tried again (at least once).
            self.stats.queue_errors += 1
            log.warning("webhook %s: could not record the outcome: %s", delivery.id, exc)
            return
        if not settled:
            self.stats.superseded += 1

    async def _attempt(self, delivery: Delivery) -> Verdict:
        headers = sign(
            secret_key(delivery.secret), delivery.id, datetime.now(UTC), delivery.payload
        )
        headers["Content-Type"] = "application/json"
        try:
            answer = await self._client.fetch(
                delivery.url,
                max_bytes=_MAX_ANSWER_BYTES,
                accept=(),
                timeout=self._settings.timeout,
                follow_redirects=False,
                method="POST",
                headers=headers,
                data=delivery.payload,
            )
        except FetchError as exc:
            return judge_error(exc)
        return judge_status(answer.status, answer.headers)

    async def _settle(self, delivery: Delivery, verdict: Verdict) -> bool:
        if verdict.outcome is Outcome.DELIVERED:
            self.stats.delivered += 1
            return await self._queue.ack(delivery)
        self.stats.failed += 1
        s = self._settings
        if verdict.outcome is Outcome.RETRY and delivery.attempt < s.max_attempts:
            if verdict.retry_after is not None:
                delay = min(verdict.retry_after, _MAX_RETRY_AFTER)
            else:
                delay = backoff(delivery.attempt, s.retry_base, s.retry_max_delay, self._rng)
            self.stats.retried += 1
            log.info(
                "webhook %s attempt %d failed (%s); retrying in %.1fs",
                delivery.id,
                delivery.attempt,
                verdict.reason,
                delay,
            )
            return await self._queue.retry(delivery, delay, verdict.reason)
        reason = verdict.reason
        if verdict.outcome is Outcome.RETRY:
            reason = f"gave up after {delivery.attempt} attempts; last: {reason}"
        self.stats.dead += 1
        log.warning("webhook %s to %s dead-lettered: %s", delivery.id, delivery.url, reason)
        return await self._queue.dead(delivery, reason)
