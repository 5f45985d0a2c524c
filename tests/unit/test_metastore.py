"""MetaStore against a real Redis: shared metadata, and an unavailable Redis is only a miss."""

from __future__ import annotations

from devkit.servers import RedisProcess
from proxy.metastore import MetaStore
from proxy.records import ImageMeta
from proxy.state import BreakerState, SharedState
from tests.support.state import make_state

META = ImageMeta(
    key="images/x/card.png", etag='"abc"', size=10, content_type="image/png", modified=1.0
)


async def test_round_trip_with_ttl_and_hash_tag(shared_state: SharedState) -> None:
    store = MetaStore(shared_state, ttl=60)
    slug = "Meta00000001"
    assert await store.get(slug) is None
    await store.put(slug, META)
    assert await store.get(slug) == META
    key = store.key(slug)
    assert key == f"{shared_state.prefix}:meta:{{{slug}}}"
    client = shared_state.client
    assert 0 < await client.ttl(key) <= 60
    await client.set(key, b"garbage")
    assert await store.get(slug) is None  # undecodable: a miss, not an error


async def test_frozen_redis_is_a_miss_and_a_skipped_write(redis_process: RedisProcess) -> None:
    state = make_state(redis_process.url, timeout=0.2, failures=2, reset=30.0)
    store = MetaStore(state, ttl=60)
    await store.put("AAAAAAAAAAAA", META)
    redis_process.freeze()
    try:
        assert await store.get("AAAAAAAAAAAA") is None
        await store.put("AAAAAAAAAAAA", META)  # no exception: best effort
        assert state.breaker.state is BreakerState.OPEN
        assert await store.get("AAAAAAAAAAAA") is None
    finally:
        redis_process.thaw()
        await state.close()
