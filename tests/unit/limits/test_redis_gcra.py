"""gcra.lua against a real redis-server, through RedisGCRA."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot

from devkit.servers import RedisProcess
from proxy.limits import RedisGCRA
from proxy.limits.redis_gcra import SYNC_CHUNK
from proxy.state import BreakerState, SharedState, StateUnavailable
from tests.support.state import make_state
from tests.unit.limits.conftest import TIMEOUT

# 100 s per request in most tests here: the seconds a busy machine may spend between two calls
# cannot blur one request's worth of debt (the sign of a count applied twice or not at all).
SLOW = 0.01


async def test_strict_limit_is_shared_across_connections(
    state_a: SharedState, state_b: SharedState, scope: str
) -> None:
    a, b = RedisGCRA(state_a), RedisGCRA(state_b)
    decisions = []
    for i in range(7):
        node = a if i % 2 == 0 else b
        decisions.append(await node.acquire(scope, "198.51.100.7", rate=SLOW, burst=5))
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 2
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0, 0]
    assert all(d.limit == 5 and d.window == pytest.approx(500) for d in decisions)
    # Denied one interval's worth from the bucket's edge, minus the time spent.
    assert 95 < decisions[-1].retry_after <= 100
    assert 495 < decisions[-1].reset_after <= 500
    # Another client is untouched.
    other = await b.acquire(scope, "198.51.100.8", rate=SLOW, burst=5)
    assert other is not None and other.remaining == 4


async def test_refills_at_rate_on_redis_clock(state_a: SharedState, scope: str) -> None:
    g = RedisGCRA(state_a)
    for _ in range(2):
        assert (await g.acquire(scope, "k", rate=20, burst=2)) is not None
    denied = await g.acquire(scope, "k", rate=20, burst=2)
    assert denied is not None and not denied.allowed
    assert 0 < denied.retry_after <= 0.05
    await asyncio.sleep(denied.retry_after + 0.01)
    again = await g.acquire(scope, "k", rate=20, burst=2)
    assert again is not None and again.allowed


async def test_cost_counts_n_requests_and_never_exceeds_burst(
    state_a: SharedState, scope: str
) -> None:
    g = RedisGCRA(state_a)
    d = await g.acquire(scope, "k", rate=1, burst=10, cost=7)
    assert d is not None and d.allowed and d.remaining == 3
    d = await g.acquire(scope, "k", rate=1, burst=10, cost=4)
    assert d is not None and not d.allowed  # not applied at all: 3 are still left
    d = await g.acquire(scope, "k", rate=1, burst=10, cost=3)
    assert d is not None and d.allowed and d.remaining == 0


async def test_keys_use_a_hash_tag_and_expire_when_full(state_a: SharedState, scope: str) -> None:
    g = RedisGCRA(state_a)
    key = g.key(scope, "2001:db8::/64")
    assert key == f"{state_a.prefix}:rl:{{{scope}:2001:db8::/64}}"
    assert key_slot(key.encode()) == key_slot(f"{scope}:2001:db8::/64".encode())
    redis_a = state_a.client
    d = await g.acquire(scope, "2001:db8::/64", rate=10, burst=3)
    assert d is not None
    ttl_ms = await redis_a.pttl(key)
    # Lives exactly until the bucket is full again (one interval here), not forever.
    assert 0 < ttl_ms <= 100
    assert ttl_ms <= d.reset_after * 1000 + 1
    await asyncio.sleep(0.15)
    assert await redis_a.exists(key) == 0


async def test_sync_always_adds_and_returns_shared_debt(
    state_a: SharedState, state_b: SharedState, scope: str
) -> None:
    a, b = RedisGCRA(state_a), RedisGCRA(state_b)
    debts = await a.sync(scope, {"x": 3, "y": 1}, rate=SLOW, burst=5)
    assert debts["x"] == pytest.approx(300, abs=5)
    assert debts["y"] == pytest.approx(100, abs=5)
    # Another node served 5 more: beyond the tolerance, still added (they were served).
    debts = await b.sync(scope, {"x": 5}, rate=SLOW, burst=5)
    assert debts["x"] == pytest.approx(800, abs=5)
    # So strict mode now denies until the debt is back within tolerance.
    d = await a.acquire(scope, "x", rate=SLOW, burst=5)
    assert not d.allowed
    assert d.retry_after == pytest.approx(400, abs=5)
    ttl = await state_a.client.pttl(a.key(scope, "x"))
    assert 795_000 < ttl <= 800_000
    assert await a.sync(scope, {}, rate=SLOW, burst=5) == {}


async def test_script_is_reloaded_after_a_flush(state_a: SharedState, scope: str) -> None:
    g = RedisGCRA(state_a)
    assert (await g.acquire(scope, "k", rate=SLOW, burst=5)).allowed
    await state_a.client.script_flush()
    d = await g.acquire(scope, "k", rate=SLOW, burst=5)
    assert d.remaining == 3
    await state_a.client.script_flush()
    debts = await g.sync(scope, {"k": 2, "j": 1}, rate=SLOW, burst=5)
    # Applied exactly once each despite the NOSCRIPT round.
    assert debts["k"] == pytest.approx(400, abs=5)
    assert debts["j"] == pytest.approx(100, abs=5)
    assert state_a.breaker.failures == 0


async def test_stopped_redis_raises_unavailable_and_opens_the_breaker(
    redis_process: RedisProcess, scope: str
) -> None:
    state = make_state(redis_process.url, timeout=TIMEOUT, failures=3, reset=60)
    g = RedisGCRA(state)
    try:
        assert await g.acquire(scope, "k", rate=1, burst=1) is not None
        redis_process.stop()
        for _ in range(3):
            with pytest.raises(StateUnavailable):
                await asyncio.wait_for(g.acquire(scope, "k", rate=1, burst=1), 5)
        assert state.breaker.state is BreakerState.OPEN
        assert state.breaker.failures == 3
        # Open: not even attempted.
        with pytest.raises(StateUnavailable):
            await g.sync(scope, {"k": 1}, rate=1, burst=1)
        assert state.breaker.skipped == 1
    finally:
        await state.close()


async def test_deadline_holds_even_without_socket_timeouts(
    redis_process: RedisProcess, scope: str
) -> None:
    # A client someone forgot to configure: only SharedState's own deadline bounds the call.
    state = make_state(redis_process.url, timeout=TIMEOUT, failures=1, reset=60)
    state.client = Redis.from_url(redis_process.url)
    g = RedisGCRA(state)
    try:
        assert await g.acquire(scope, "k", rate=1, burst=5) is not None
        redis_process.freeze()
        with pytest.raises(StateUnavailable):
            await asyncio.wait_for(g.acquire(scope, "k", rate=1, burst=5), 5)
        assert state.breaker.state is BreakerState.OPEN
    finally:
        redis_process.thaw()
        await state.close()


async def test_a_large_round_is_synced_in_chunks(state_a: SharedState, scope: str) -> None:
    g = RedisGCRA(state_a)
    counts = {f"10.9.{i // 256}.{i % 256}": 1 + i % 3 for i in range(2 * SYNC_CHUNK + 5)}
    debts = await g.sync(scope, counts, rate=SLOW, burst=5)
    assert debts.keys() == counts.keys()
    for key, n in counts.items():
        assert debts[key] == pytest.approx(n * 100, abs=5)
    assert state_a.breaker.failures == 0
