"""ImageLimiter: local checks on the hot path, reconciled through a real Redis."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from config.settings import LimitSettings, RedisSettings
from proxy.limits import (
    BreakerState,
    CircuitBreaker,
    ImageLimiter,
    LocalGCRA,
    NullReconciler,
    RedisGCRA,
    RedisReconciler,
    redis_key,
)
from tests.support.servers import RedisProcess
from tests.unit.limits.conftest import TIMEOUT, eventually, make_client

SYNC = 0.05
IP = "203.0.113.9"

MakeLimiter = Callable[..., ImageLimiter]


@pytest.fixture
async def make_limiter() -> AsyncIterator[MakeLimiter]:
    """Build started limiters (one per simulated worker) and stop them all afterwards."""
    started: list[ImageLimiter] = []

    def make(
        client: Redis | None,
        rate: float,
        burst: int,
        breaker: CircuitBreaker | None = None,
        scope: str | None = None,
    ) -> ImageLimiter:
        breaker = breaker or CircuitBreaker(3, 0.5)
        if scope is None:
            # As the app builds it (scope "image"): private Redis servers only.
            limiter = ImageLimiter.from_settings(
                LimitSettings(image_rate=rate, image_burst=burst),
                RedisSettings(url="redis://unused", socket_timeout=TIMEOUT, sync_interval=SYNC),
                client,
                breaker,
            )
        else:
            # On the shared session Redis each test limits its own scope.
            assert client is not None
            local = LocalGCRA(rate, burst)
            shared = RedisGCRA(client, breaker, TIMEOUT)
            limiter = ImageLimiter(local, RedisReconciler(local, shared, SYNC, scope))
        limiter.start()
        started.append(limiter)
        return limiter

    yield make
    for limiter in started:
        await asyncio.wait_for(limiter.stop(), 5)


def reconciler(limiter: ImageLimiter) -> RedisReconciler:
    assert isinstance(limiter.reconciler, RedisReconciler)
    return limiter.reconciler


def test_check_is_synchronous() -> None:
    # The hot path must never await the limiter.
    assert not inspect.iscoroutinefunction(ImageLimiter.check)


async def test_without_redis_it_is_a_local_limiter(make_limiter: MakeLimiter) -> None:
    limiter = make_limiter(None, rate=1, burst=3)
    assert isinstance(limiter.reconciler, NullReconciler)
    assert limiter.knows(IP)  # nothing to learn: the hot path never awaits
    assert [limiter.check(IP).allowed for _ in range(4)] == [True, True, True, False]
    denied = limiter.check(IP)
    assert denied.retry_after > 0.5
    assert dict(denied.headers())[b"retry-after"] == b"1"


async def test_two_workers_converge_on_one_limit(
    make_limiter: MakeLimiter, redis_a: Redis, redis_b: Redis, scope: str
) -> None:
    a = make_limiter(redis_a, rate=0.5, burst=20, scope=scope)
    b = make_limiter(redis_b, rate=0.5, burst=20, scope=scope)
    # One client alternating between two workers, a little faster than they sync.
    allowed = 0
    for _ in range(40):
        allowed += a.check(IP).allowed + b.check(IP).allowed
        await asyncio.sleep(SYNC / 5)
    # Alone, each worker would allow its own burst: 40. Shared, one burst and the overshoot
    # of the first sync interval (~5 requests per worker).
    assert 20 <= allowed <= 30
    await asyncio.sleep(3 * SYNC)
    assert not a.check(IP).allowed
    assert not b.check(IP).allowed
    assert reconciler(a).syncs > 0 and reconciler(b).syncs > 0
    assert await redis_a.exists(redis_key(scope, IP)) == 1


async def test_a_worker_learns_a_burst_spent_elsewhere(
    make_limiter: MakeLimiter, redis_a: Redis, redis_b: Redis, scope: str
) -> None:
    a = make_limiter(redis_a, rate=1, burst=5, scope=scope)
    b = make_limiter(redis_b, rate=1, burst=5, scope=scope)
    assert [a.check(IP).allowed for _ in range(6)] == [True] * 5 + [False]
    await asyncio.sleep(3 * SYNC)
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
    caplog.set_level(logging.WARNING, logger="ogedge.limits")
    client = make_client(redis_process.url)
    breaker = CircuitBreaker(3, 60)
    try:
        limiter = make_limiter(client, rate=1, burst=3, breaker=breaker)
        limiter.check("warm")
        await eventually(lambda: reconciler(limiter).syncs > 0, 10)  # hang guard; slow when busy
        redis_process.stop()
        # Each worker still enforces the limit alone, and check() never awaits anything.
        assert [limiter.check(IP).allowed for _ in range(4)] == [True, True, True, False]
        # Three failed syncs open the breaker: ~150 ms idle, longer on a loaded CI machine.
        for i in range(500):
            limiter.check(f"10.0.{i // 250}.{i % 250}")
            await asyncio.sleep(SYNC / 5)
            if breaker.state is BreakerState.OPEN:
                break
        assert breaker.state is BreakerState.OPEN
        assert breaker.opened == 1
        await eventually(lambda: breaker.skipped > 0, 10)
        assert reconciler(limiter).failed_syncs >= 3
        assert reconciler(limiter).dropped_counts >= 3
        assert any("circuit opened" in r.getMessage() for r in caplog.records)
        assert not limiter.check(IP).allowed
    finally:
        await client.aclose()


async def test_frozen_redis_opens_the_breaker_and_thaw_resumes_sync(
    make_limiter: MakeLimiter, redis_process: RedisProcess
) -> None:
    client = make_client(redis_process.url)
    breaker = CircuitBreaker(3, 0.5)
    try:
        limiter = make_limiter(client, rate=1, burst=3, breaker=breaker)
        sync = reconciler(limiter)
        limiter.check("warm")
        await eventually(lambda: sync.syncs > 0, 2)
        redis_process.freeze()
        syncs_before_freeze = sync.syncs
        loop = asyncio.get_running_loop()
        for i in range(20):
            started = loop.time()
            limiter.check(f"10.1.0.{i}")
            # A frozen Redis may cost the background sync a timeout, never more.
            await asyncio.wait_for(sync.sync_once(), 2)
            assert loop.time() - started < 2
            if breaker.state is BreakerState.OPEN:
                break
        assert breaker.state is BreakerState.OPEN
        assert [limiter.check(IP).allowed for _ in range(4)] == [True, True, True, False]
        redis_process.thaw()

        def traffic_closes_breaker() -> bool:
            # The probe is the next sync with counts to send: traffic, not an idle timer.
            limiter.check("after-thaw")
            return breaker.state is BreakerState.CLOSED

        await eventually(traffic_closes_breaker, 5)
        # Sync resumed: this client's requests reach Redis again.
        await eventually(lambda: sync.syncs > syncs_before_freeze, 2)
        assert await client.exists(redis_key("image", "after-thaw")) == 1
    finally:
        redis_process.thaw()
        await client.aclose()


async def test_stop_flushes_the_last_counts(
    make_limiter: MakeLimiter, redis_a: Redis, scope: str
) -> None:
    limiter = make_limiter(redis_a, rate=1, burst=5, scope=scope)
    await limiter.stop()  # no task any more: nothing syncs in the background
    limiter.local.check(IP)
    limiter.reconciler.start()
    await limiter.stop()
    assert await redis_a.exists(redis_key(scope, IP)) == 1
