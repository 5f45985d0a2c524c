"""The per-client-IP limiter of `/i/`: a local GCRA on the hot path, reconciled with Redis in
the background so every worker and node converges on one shared limit.

Why not a Redis round trip per request: the hot path serves tens of thousands of requests per
second per node, and one EVALSHA costs more than the rest of the request (see
scripts/bench_limiter.py). So `check()` is synchronous and local. Every `sync_interval` the
reconciler sends the counts each key was allowed since the last round to Redis ("sync" mode of
gcra.lua, one pipelined round trip) and adopts the shared debt Redis returns.

Accuracy. Over time the shared limit is exact: every allowed request is added to the shared
TAT, and a client that was let through too often is denied until its debt is paid. In the
short term each of N workers decides alone between syncs, so a client spreading requests over
all of them can get up to about N * (rate * sync_interval) requests more than the limit per
interval in steady state. A worker that has never seen a key asks Redis for its shared debt
before deciding (`learn`, one bounded round trip per new key per worker), so a client that
exhausted its burst on one node does not get a fresh burst from every other one. With the
defaults (50/s, burst 100, 50 ms) the overshoot is 2.5 requests per worker per interval.

Redis down or frozen: the breaker opens, sync calls return at once, and each worker keeps
enforcing the limit on its own (fail open with respect to Redis only). Counts that could not be
synced are dropped rather than replayed later, when they would be debt for long-gone requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from proxy.limits.decision import Decision
from proxy.limits.gcra import LocalGCRA
from proxy.limits.redis_gcra import RedisGCRA
from proxy.state import SharedState, StateUnavailable

__all__ = ["IMAGE_SCOPE", "PREVIEW_SCOPE", "ImageLimiter", "Reconciler"]

log = logging.getLogger("ogedge.limits")

IMAGE_SCOPE = "image"
# POST /api/v2/preview: the same per-IP design with its own keys (`rl:{preview:<ip>}`).
PREVIEW_SCOPE = "preview"


class Reconciler:
    """Every `interval` seconds: local counts -> Redis, shared debts -> local limiter."""

    def __init__(
        self, local: LocalGCRA, shared: RedisGCRA, interval: float, scope: str = IMAGE_SCOPE
    ) -> None:
        if not interval > 0:
            raise ValueError(f"sync interval must be > 0 seconds, got {interval!r}")
        self._local = local
        self._shared = shared
        self._interval = interval
        self._scope = scope
        self._task: asyncio.Task[None] | None = None
        self._learning: set[str] = set()
        # Counters for metrics.
        self.syncs = 0  # rounds that reached Redis
        self.failed_syncs = 0  # rounds with counts that could not be synced (breaker or error)
        self.dropped_counts = 0  # requests whose counts were dropped by those rounds

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="ogedge-limits-sync"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # Hand the last interval's counts over, so a rolling restart does not forget them;
        # bounded like every call (and skipped at once if the breaker is open).
        await self.sync_once()

    async def sync_once(self) -> None:
        counts = self._local.take_counts()
        if not counts:
            return
        local = self._local
        try:
            debts = await self._shared.sync(self._scope, counts, local.rate, local.burst)
        except StateUnavailable:
            self.failed_syncs += 1
            self.dropped_counts += sum(counts.values())
            return
        self.syncs += 1
        now = time.monotonic()
        for key, debt in debts.items():
            local.absorb(key, debt, now)

    async def learn(self, key: str) -> None:
        """Adopt the shared debt of a key this worker has not seen (a zero-cost sync).

        Concurrent first requests for one key share a single call: the others decide on local
        state at once rather than queue behind Redis.
        """
        if key in self._learning:
            return
        self._learning.add(key)
        local = self._local
        try:
            debts = await self._shared.sync(self._scope, {key: 0}, local.rate, local.burst)
        except StateUnavailable:
            return  # decide on local state alone; the next sync catches up
        finally:
            self._learning.discard(key)
        local.absorb(key, debts.get(key, 0.0), time.monotonic())

    async def _run(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sync_once()
            except Exception:
                # A bug, not an outage (those are absorbed by RedisGCRA): keep the loop alive,
                # and log once per streak rather than every interval.
                if not failing:
                    log.exception("rate-limit sync failed unexpectedly; retrying every interval")
                failing = True
            else:
                failing = False


class ImageLimiter:
    """What the `/i/` hot path calls: `check(ip)` is synchronous, local, and never awaits."""

    def __init__(self, local: LocalGCRA, reconciler: Reconciler) -> None:
        self.local = local
        self.reconciler = reconciler

    @classmethod
    def from_settings(
        cls,
        rate: float,
        burst: int,
        state: SharedState,
        sync_interval: float,
        *,
        scope: str = IMAGE_SCOPE,
        max_keys: int = 100_000,
    ) -> ImageLimiter:
        local = LocalGCRA(rate, burst, max_keys)
        return cls(local, Reconciler(local, RedisGCRA(state), sync_interval, scope))

    def check(self, key: str) -> Decision:
        """Decide on local state. Call `learn(key)` first when `knows(key)` is False."""
        return self.local.check(key)

    def knows(self, key: str) -> bool:
        """False when shared state for `key` may exist that this worker has not seen."""
        return key in self.local

    async def learn(self, key: str) -> None:
        await self.reconciler.learn(key)

    def start(self) -> None:
        """Start background reconciliation (needs a running event loop)."""
        self.reconciler.start()

    async def stop(self) -> None:
        await self.reconciler.stop()
