"""Per-worker gauges and counters read from objects that keep their own state (the Redis
breaker, the webhook dispatcher's stats and queue): sampled every few seconds, and on scrape."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from prometheus_client.multiprocess import mark_process_dead

from proxy.observe import metrics
from proxy.observe.multiproc import VAR
from proxy.state import BreakerState, CircuitBreaker
from proxy.webhooks import Dispatcher

__all__ = ["Sampler"]

log = logging.getLogger("ogedge.observe")
_BREAKER_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


class Sampler:
    def __init__(
        self,
        breaker: CircuitBreaker,
        dispatcher: Dispatcher,
        flush: Callable[[], None] = lambda: None,
        interval: float = 1.0,
        depth_every: int = 5,
    ) -> None:
        self.breaker = breaker
        self.flush = flush  # the request meter's batched counts
        self.depth_every = depth_every  # queue depth is a Redis call: every few ticks only
        self.dispatcher = dispatcher
        self.interval = interval
        self._delivered = 0
        self._failed = 0
        self._task: asyncio.Task[None] | None = None

    def sample(self) -> None:
        """The cheap, synchronous part: request counts, breaker state, dispatcher counters."""
        self.flush()
        value = _BREAKER_VALUE[self.breaker.state]
        metrics.BREAKER_STATE.set(value)
        metrics.BREAKER_OPEN.set(1 if value else 0)
        stats = self.dispatcher.stats
        if stats.delivered > self._delivered:
            metrics.WEBHOOK_DELIVERIES.inc(stats.delivered - self._delivered)
            self._delivered = stats.delivered
        if stats.failed > self._failed:
            metrics.WEBHOOK_FAILURES.inc(stats.failed - self._failed)
            self._failed = stats.failed

    async def sample_depth(self) -> None:
        try:
            async with asyncio.timeout(1.0):  # not wait_for: see proxy/state/shared.py
                depth = await self.dispatcher.depth()
        except Exception as exc:  # a Redis outage must not stop sampling
            log.debug("webhook queue depth unavailable: %r", exc)
            return
        metrics.WEBHOOK_QUEUE_DEPTH.set(depth)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="metrics")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.sample()  # last counts before the worker's files are read for the final time
        if os.environ.get(VAR):
            # This worker's live gauges (breaker state, queue depth) leave the sums with it.
            mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    async def _run(self) -> None:
        tick = 0
        while True:
            self.sample()
            if tick % self.depth_every == 0:
                await self.sample_depth()
            tick += 1
            await asyncio.sleep(self.interval)
