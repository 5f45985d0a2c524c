"""RedisMetaStore against a real Redis: shared metadata, and a breaker that skips a dead Redis."""

from __future__ import annotations

import time
import uuid

from redis.asyncio import Redis

from proxy.limits import BreakerState, CircuitBreaker
from proxy.metastore import RedisMetaStore
from proxy.records import ImageMeta
from tests.support.servers import RedisProcess

META = ImageMeta(
    key="images/x/card.png", etag='"abc"', size=10, content_type="image/png", modified=1.0
)


async def test_round_trip_with_ttl_and_hash_tag(redis_server: RedisProcess) -> None:
    client = Redis.from_url(redis_server.url)
    store = RedisMetaStore(client, CircuitBreaker(3, 1.0), ttl=60, timeout=0.5)
    slug = uuid.uuid4().hex[:12]
    assert await store.get(slug) is None
    await store.put(slug, META)
    assert await store.get(slug) == META
    key = RedisMetaStore.key(slug)
    assert key == f"ogedge:meta:{{{slug}}}"
    assert 0 < await client.ttl(key) <= 60
    await client.set(key, b"garbage")
    assert await store.get(slug) is None  # undecodable: a miss, not an error
    await client.aclose()


async def test_dead_redis_is_a_fast_miss_and_opens_the_breaker(redis_process: RedisProcess) -> None:
    client = Redis.from_url(redis_process.url, socket_timeout=0.2, socket_connect_timeout=0.2)
    breaker = CircuitBreaker(2, 30.0)
    store = RedisMetaStore(client, breaker, ttl=60, timeout=0.2)
    await store.put("AAAAAAAAAAAA", META)
    redis_process.freeze()
    try:
        t = time.monotonic()
        assert await store.get("AAAAAAAAAAAA") is None
        await store.put("AAAAAAAAAAAA", META)
        assert breaker.state is BreakerState.OPEN
        assert await store.get("AAAAAAAAAAAA") is None  # skipped: no call at all
        # Two bounded calls, then none: a hang guard, far below any TCP timeout.
        assert time.monotonic() - t < 2.0
        assert breaker.skipped >= 1
    finally:
        redis_process.thaw()
        await client.aclose()
