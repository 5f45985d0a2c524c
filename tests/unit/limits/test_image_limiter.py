"""ImageLimiter: local checks on the hot path, reconciled through a real Redis."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from devkit.servers import RedisProcess
from proxy.limits import ImageLimiter
from proxy.state import BreakerState, SharedState
from tests.support.state import make_state
from tests.unit.limits.conftest import TIMEOUT, eventually

SYNC = 0.05
IP = "203.0.113.9"

MakeLimiter = Callable[..., ImageLimiter]


@pytest.fixture
async def make_limiter() -> AsyncIterator[MakeLimiter]:
    """Build started limiters (one per simulated worker) as the app does; stop them after."""
    started: list[ImageLimiter] = []

    def make(state: SharedState, rate: float, burst: int, start: bool = True) -> ImageLimiter:
        limiter = ImageLimiter.from_settings(rate, burst, state, SYNC)
        if start:
            limiter.start()
        started.append(limiter)
        return limiter

    yield make
    for limiter in started:
        await asyncio.wait_for(limiter.stop(), 5)


def test_check_is_synchronous() -> None:
    # The hot path must never await the limiter.
    assert not inspect.iscoroutinefunction(ImageLimiter.check)


async def test_a_worker_limits_on_its_own_between_syncs(
    make_limiter: MakeLimiter, state_a: SharedState
) -> None:
    limiter = make_limiter(state_a, rate=1, burst=3, start=False)
    assert not limiter.knows(IP)
    await limiter.learn(IP)  # a new client: its shared debt first (none)
    assert [limiter.check(IP).allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.knows(IP)
    denied = limiter.check(IP)
    assert denied.retry_after > 0.5
    assert dict(denied.headers())[b"retry-after"] == b"1"


async def test_two_workers_converge_on_one_limit(
    make_limiter: MakeLimiter, state_a: SharedState, state_b: SharedState
) -> None:
    a = make_limiter(state_a, rate=0.5, burst=20, start=False)
    b = make_limiter(state_b, rate=0.5, burst=20, start=False)
    # One client alternating between two workers; they sync every 5 requests each (the rounds
    # are driven here, so the bound holds however busy the machine is).
    allowed = 0
    for i in range(40):
        allowed += a.check(IP).allowed + b.check(IP).allowed
        if i % 5 == 4:
            await a.reconciler.sync_once()
            await b.reconciler.sync_once()
    # Alone, each worker would allow its own burst: 40. Shared, one burst and the overshoot
    # of one sync interval (5 requests per worker).
    assert 20 <= allowed <= 30
    assert not a.check(IP).allowed
    assert not b.check(IP).allowed
    assert a.reconciler.syncs > 0 and b.reconciler.syncs > 0
    assert await state_a.client.exists(state_a.key("rl", f"image:{IP}")) == 1


async def test_a_worker_learns_a_burst_spent_elsewhere(
    make_limiter: MakeLimiter, state_a: SharedState, state_b: SharedState
) -> None:
    a = make_limiter(state_a, rate=1, burst=5, start=False)
    b = make_limiter(state_b, rate=1, burst=5, start=False)
    assert [a.check(IP).allowed for _ in range(6)] == [True] * 5 + [False]
    await a.reconciler.sync_once()
    # B has never seen this client: it learns the shared debt before its first decision,
    # so the burst spent on A is not granted again.
    assert not b.knows(IP)
    await b.learn(IP)
    assert b.knows(IP)
    denied = b.check(IP)
    assert not denied.allowed
    # The shared debt is five intervals, all of the tolerance: one more request needs about
    # one interval (less the time spent) from now.
    assert 0.5 < denied.retry_after <= 1.0
    assert not a.check(IP).allowed


async def test_stopped_redis_keeps_limiting_locally_and_opens_the_breaker(
    make_limiter: MakeLimiter, redis_process: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="ogedge.state")
    state = make_state(redis_process.url, timeout=TIMEOUT, failures=3, reset=60)
    breaker = state.breaker
    try:
        limiter = make_limiter(state, rate=1, burst=3, start=False)
        sync = limiter.reconciler
        limiter.check("warm")
        await sync.sync_once()
        assert sync.syncs == 1
        redis_process.stop()
        # Each worker still enforces the limit alone, and check() never awaits anything.
        assert [limiter.check(IP).allowed for _ in range(4)] == [True, True, True, False]
        # Three failed rounds open the breaker; each carries counts, so each is attempted.
        for i in range(3):
            limiter.check(f"10.0.0.{i}")
            await asyncio.wait_for(sync.sync_once(), 5)  # a hang guard, not a speed test
        assert breaker.state is BreakerState.OPEN
        assert breaker.opened == 1
        # Open: the next round with counts is skipped without a call.
        limiter.check("10.0.1.1")
        await sync.sync_once()
        assert breaker.skipped == 1
        assert sync.failed_syncs == 4
        assert sync.dropped_counts >= 4
        assert any("circuit opened" in r.getMessage() for r in caplog.records)
        assert not limiter.check(IP).allowed
    finally:
        await state.close()


async def test_frozen_redis_opens_the_breaker_and_thaw_resumes_sync(
    make_limiter: MakeLimiter, redis_process: RedisProcess
) -> None:
    state = make_state(redis_process.url, timeout=TIMEOUT, failures=3, reset=0.5)
    breaker = state.breaker
    try:
        limiter = make_limiter(state, rate=1, burst=3, start=False)
        sync = limiter.reconciler
        limiter.check("warm")
        await sync.sync_once()
        redis_process.freeze()
        for i in range(3):
            limiter.check(f"10.1.0.{i}")
            # A frozen Redis may cost the background sync a timeout, never more.
            await asyncio.wait_for(sync.sync_once(), 5)
        assert breaker.state is BreakerState.OPEN
        assert [limiter.check(IP).allowed for _ in range(4)] == [True, True, True, False]
        redis_process.thaw()
        syncs_before = sync.syncs
        limiter.start()  # from here on the background task drives the rounds

        def traffic_closes_breaker() -> bool:
            # The probe is the next sync with counts to send: traffic, not an idle timer.
            limiter.check("after-thaw")
            return breaker.state is BreakerState.CLOSED

        await eventually(traffic_closes_breaker, 15)
        await eventually(lambda: sync.syncs > syncs_before, 15)
        key = state.key("rl", "image:after-thaw")
        await eventually(lambda: state.client.exists(key), 15)
    finally:
        redis_process.thaw()
        await state.close()


async def test_stop_flushes_the_last_counts(
    make_limiter: MakeLimiter, state_a: SharedState
) -> None:
    limiter = make_limiter(state_a, rate=1, burst=5)
    await limiter.stop()  # no task any more: nothing syncs in the background
    limiter.local.check(IP)
    limiter.reconciler.start()
    await limiter.stop()
    assert await state_a.client.exists(state_a.key("rl", f"image:{IP}")) == 1
