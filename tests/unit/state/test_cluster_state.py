"""Every Redis user of ogedge through SharedState on a real 3-master Redis Cluster: the
limiter's cross-slot sync pipeline, strict limits, quotas, locks, metadata and the outbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

import config
from devkit.servers import free_port
from proxy.limits import RedisGCRA
from proxy.metastore import MetaStore
from proxy.quotas import QuotaExceeded, Quotas
from proxy.records import ImageMeta
from proxy.slug_lock import SlugLock
from proxy.state import BreakerState, CircuitBreaker, SharedState, StateUnavailable
from proxy.state.connect import connect
from proxy.state.open import open_state
from proxy.webhooks import Outbox, new_delivery
from tests.support.cluster import RedisClusterProcess


@pytest.fixture
async def state(redis_cluster: RedisClusterProcess) -> AsyncIterator[SharedState]:
    settings = config.load(
        {
            "OGEDGE_REDIS_URL": redis_cluster.url,
            "OGEDGE_REDIS_CLUSTER": "true",
            "OGEDGE_REDIS_PREFIX": f"t{uuid.uuid4().hex[:10]}",
            # These tests check what the scripts do, not how fast: a 300-key pipeline over
            # three masters outlasted production's 0.25 s with both cores busy. The frozen-master
            # test below keeps production's timeouts.
            "OGEDGE_REDIS_SOCKET_TIMEOUT": "5",
            "OGEDGE_REDIS_CONNECT_TIMEOUT": "5",
        }
    )
    s = await open_state(settings)
    yield s
    await s.close()


async def test_limiter_sync_spans_every_master_and_survives_a_script_flush(
    state: SharedState, redis_cluster: RedisClusterProcess
) -> None:
    gcra = RedisGCRA(state)
    counts = {f"10.0.{i // 250}.{i % 250}": 1 + i % 3 for i in range(300)}
    nodes = {redis_cluster.node_of(gcra.key("image", k)) for k in counts}
    assert nodes == {0, 1, 2}  # the pipeline really crosses slots and masters
    # 100 s per request: the seconds a busy machine spends between calls cannot blur a count.
    debts = await gcra.sync("image", counts, rate=0.01, burst=5)
    assert debts.keys() == counts.keys()
    assert all(debts[k] == pytest.approx(n * 100, abs=5) for k, n in counts.items())
    await state.client.script_flush()  # every primary forgets the script (NOSCRIPT next)
    again = await gcra.sync("image", dict.fromkeys(counts, 1), rate=0.01, burst=5)
    # Applied exactly once more each, despite the NOSCRIPT round.
    assert all(again[k] == pytest.approx((n + 1) * 100, abs=5) for k, n in counts.items())
    decision = await gcra.acquire("key", "key_abc", rate=1, burst=2)
    assert decision.allowed and decision.remaining == 1
    assert state.breaker.failures == 0


async def test_quota_lock_metadata_and_outbox(state: SharedState) -> None:
    quotas = Quotas(state)
    for _ in range(3):
        await quotas.take("acme", 3)
    with pytest.raises(QuotaExceeded):
        await quotas.take("acme", 3)
    await quotas.give_back("acme")
    await quotas.take("acme", 3)
    assert await quotas.used("acme") == 3

    lock = SlugLock(state, 30.0)
    async with lock.hold("Slug00000001") as first, lock.hold("Slug00000001") as second:
        assert (first, second) == (True, False)
    async with lock.hold("Slug00000001") as again:
        assert again  # released by its token

    meta = ImageMeta(
        key="images/x/card.png", etag='"e"', size=1, content_type="image/png", modified=1
    )
    store = MetaStore(state, 60)
    await store.put("Slug00000001", meta)
    assert await store.get("Slug00000001") == meta

    outbox = Outbox(state)
    delivery = new_delivery("https://h.example/hook", b"key", b"{}")
    await outbox.enqueue(delivery)
    (claimed,) = await outbox.claim(10, 30.0)
    assert claimed.id == delivery.id
    assert await outbox.ack(claimed)
    assert await outbox.depth() == 0
    # A project's delivery log and a re-send run in the same slot as the queue.
    logged = new_delivery("https://h.example/hook", b"key", b"{}", project="acme")
    await outbox.enqueue(logged)
    (claimed,) = await outbox.claim(10, 30.0)
    assert await outbox.dead(claimed, "the receiver answered 410")
    assert (await outbox.resend("acme", logged.id)).status == "pending"
    (claimed,) = await outbox.claim(10, 30.0)
    assert await outbox.ack(claimed)
    assert [d.status for d in await outbox.deliveries("acme")] == ["delivered"]
    assert state.breaker.failures == 0


def cluster_state(cluster_url: str, failures: int = 3, reset: float = 2.0) -> SharedState:
    settings = config.load(
        {
            "OGEDGE_REDIS_URL": cluster_url,
            "OGEDGE_REDIS_CLUSTER": "true",
            "OGEDGE_REDIS_BREAKER_FAILURES": str(failures),
            "OGEDGE_REDIS_BREAKER_RESET": str(reset),
        }
    )
    rs = settings.redis
    client = connect(
        rs.url, cluster=True, socket_timeout=rs.socket_timeout, connect_timeout=rs.connect_timeout
    )
    return SharedState(
        client, CircuitBreaker(rs.breaker_failures, rs.breaker_reset), timeout=rs.socket_timeout
    )


async def test_a_frozen_master_is_unavailable_to_its_keys_only_and_recovers(
    own_cluster: RedisClusterProcess,
) -> None:
    state = cluster_state(own_cluster.url, failures=100)
    client = state.client
    keys = [own_cluster.key_on(i, "fault") for i in range(3)]
    try:
        for key in keys:
            await state.call(lambda key=key: client.set(key, "v"))
        own_cluster.nodes[1].freeze()
        # Until the others mark it FAIL, the other masters' keys are unaffected.
        assert await state.call(lambda: client.get(keys[0])) == b"v"
        with pytest.raises(StateUnavailable):
            await asyncio.wait_for(state.call(lambda: client.get(keys[1])), 10)  # hang guard
        assert state.breaker.failures >= 1
        own_cluster.nodes[1].thaw()
        await asyncio.to_thread(own_cluster.wait_ok)
        values: list[bytes | None] = []
        for key in keys:  # the same client finds every master again
            for _ in range(200):
                try:
                    values.append(await state.call(lambda key=key: client.get(key)))
                    break
                except StateUnavailable:
                    await asyncio.sleep(0.05)
        assert values == [b"v"] * 3
    finally:
        own_cluster.nodes[1].thaw()
        await state.close()


async def test_an_unreachable_cluster_counts_as_unavailable() -> None:
    # RedisClusterException is not a RedisError: the breaker must still see it.
    state = cluster_state(f"redis://127.0.0.1:{free_port()}/0", failures=2, reset=60)
    try:
        for _ in range(2):
            with pytest.raises(StateUnavailable):
                await asyncio.wait_for(state.call(lambda: state.client.get("k")), 10)
        assert state.breaker.state is BreakerState.OPEN
    finally:
        await state.close()
