"""What redis-py's asyncio RedisCluster does with ogedge's commands, against a real cluster.

Each test pins one finding the state layer is built on: how scripts route and recover from
NOSCRIPT, what a cluster pipeline accepts, why MULTI/EXEC is avoided, and which exceptions a
dead or frozen master raises (what the circuit breaker has to count).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    ClusterCrossSlotError,
    ClusterDownError,
    CrossSlotTransactionError,
    NoScriptError,
    RedisClusterException,
    RedisError,
)
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)

from proxy.api.quota import RedisQuota
from proxy.limits import CircuitBreaker, RedisGCRA, redis_key
from proxy.limits.redis_gcra import SCRIPT as GCRA
from proxy.metastore import RedisMetaStore
from proxy.records import ImageMeta
from proxy.slug_lock import RedisSlugLock
from proxy.state.connect import connect
from proxy.webhooks.record import Delivery
from proxy.webhooks.redis_outbox import RedisOutbox
from tests.support.cluster import RedisClusterProcess
from tests.support.servers import free_port
from tests.unit.state.conftest import TIMEOUT, cluster_client, node_client

# Adds ARGV[1] to KEYS[1]: applying a call twice shows in the value, so "exactly once" is testable.
COUNT = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
# What quota.py's MULTI (INCR, EXPIRE) plus its follow-up DECR become as one script: count one
# render unless the quota (ARGV[1], 0 = unlimited) is used up; the counter lives ARGV[2] s.
QUOTA_TAKE = """
local used = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
local quota = tonumber(ARGV[1])
if quota > 0 and used > quota then
  redis.call('DECR', KEYS[1])
  return -1
end
return used
"""
# The GCRA arguments for 10 requests per second, burst 5 (microseconds).
INTERVAL, TOLERANCE = 100_000, 500_000


def on_node(cluster: RedisClusterProcess, index: int, make: Callable[[int], str]) -> str:
    """The first key make(0), make(1), ... whose slot node `index` owns."""
    for n in range(100_000):
        key = make(n)
        if cluster.node_of(key) == index:
            return key
    raise AssertionError(f"no key lands on node {index}")


def keys_on_every_node(cluster: RedisClusterProcess, prefix: str, per_node: int = 2) -> list[str]:
    return [
        on_node(cluster, i, lambda n, i=i, j=j: f"{prefix}:{i}:{j}:{n}")
        for j in range(per_node)
        for i in range(3)
    ]


def as_redis(client: RedisCluster) -> Redis:
    # ogedge's Redis users are typed for redis.asyncio.Redis; at runtime they only call
    # methods both clients have. The state layer will type them with StateClient.
    return cast(Redis, client)


async def exists_on(cluster: RedisClusterProcess, index: int, sha: str) -> bool:
    async with node_client(cluster, index) as node:
        return bool((await node.script_exists(sha))[0])


async def elapsed(awaitable: Any, bound: float = 10.0) -> tuple[BaseException | None, float]:
    """Run `awaitable` under a generous hang guard; return what it raised and how long it took."""
    start = time.monotonic()
    try:
        await asyncio.wait_for(awaitable, bound)
    except BaseException as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


# 1. register_script: EVALSHA routed by key; NOSCRIPT reloads by itself ---------------------


async def test_registered_script_runs_on_the_master_owning_its_key(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    script = cluster.register_script(GCRA)
    for i in range(3):
        key = on_node(redis_cluster, i, lambda n: redis_key(prefix, f"198.51.100.{n}"))
        assert await script(keys=[key], args=[INTERVAL, TOLERANCE, 1, "check"]) == [
            1,
            4,
            0,
            INTERVAL,
        ]
        async with node_client(redis_cluster, i) as node:
            assert await node.get(key) is not None  # the TAT lives on the owner


async def test_redis_gcra_acquire_works_as_written(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    gcra = RedisGCRA(as_redis(cluster), CircuitBreaker(1, 2.0), timeout=TIMEOUT)
    for i in range(3):
        ip = on_node(redis_cluster, i, lambda n: redis_key(prefix, f"203.0.113.{n}"))
        ip = ip.split(":", 3)[-1].rstrip("}")  # back from the key to the client id
        for remaining in (4, 3):
            decision = await gcra.acquire(prefix, ip, rate=10, burst=5)
            assert decision is not None and decision.allowed and decision.remaining == remaining
    assert gcra.breaker.allow()


async def test_noscript_after_script_flush_on_one_master_reloads_by_itself(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    script = cluster.register_script(COUNT + f" -- {prefix}")  # a source no other test loads
    keys = [redis_cluster.key_on(i, prefix) for i in range(3)]
    # The first call gets NOSCRIPT, and redis-py's SCRIPT LOAD goes to every primary.
    assert await script(keys=[keys[0]], args=[1]) == 1
    assert [await exists_on(redis_cluster, i, script.sha) for i in range(3)] == [True] * 3
    async with node_client(redis_cluster, 1) as node:
        await node.script_flush()
    assert not await exists_on(redis_cluster, 1, script.sha)
    # SCRIPT EXISTS through the cluster is the AND over primaries.
    assert await cluster.script_exists(script.sha) == [False]
    # NOSCRIPT means "did not run": the reload and rerun apply the call exactly once.
    assert await script(keys=[keys[1]], args=[5]) == 5
    assert await cluster.get(keys[1]) == b"5"
    assert await exists_on(redis_cluster, 1, script.sha)


# 2. Pipelines of EVALSHA over many slots ------------------------------------------------------


async def test_evalsha_method_is_blocked_in_a_cluster_pipeline(
    cluster: RedisCluster, prefix: str
) -> None:
    pipe = cluster.pipeline(transaction=False)
    with pytest.raises(RedisClusterException, match="evalsha is blocked"):
        pipe.evalsha("0" * 40, 1, f"{prefix}:k", 1)
    # Not a RedisError: an `except RedisError` breaker does not see it.
    assert not issubclass(RedisClusterException, RedisError)


async def test_redis_gcra_sync_as_written_fails_outside_its_breaker(
    cluster: RedisCluster, prefix: str
) -> None:
    gcra = RedisGCRA(as_redis(cluster), CircuitBreaker(1, 2.0), timeout=TIMEOUT)
    with pytest.raises(RedisClusterException, match="evalsha is blocked"):
        await gcra.sync(prefix, {"198.51.100.1": 1}, rate=10, burst=5)


async def test_evalsha_through_execute_command_routes_each_call_by_its_key(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    sha = await cluster.script_load(COUNT)
    keys = keys_on_every_node(redis_cluster, prefix)
    pipe = cluster.pipeline(transaction=False)
    for n, key in enumerate(keys, 1):
        pipe.execute_command("EVALSHA", sha, 1, key, n)
    assert await pipe.execute(raise_on_error=False) == list(range(1, len(keys) + 1))
    for n, key in enumerate(keys, 1):
        async with node_client(redis_cluster, redis_cluster.node_of(key)) as node:
            assert await node.get(key) == str(n).encode()


async def test_noscript_in_a_pipeline_script_load_then_rerun_exactly_the_failed_calls(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    source = COUNT + f" -- {prefix}"
    sha = await cluster.script_load(source)
    async with node_client(redis_cluster, 2) as node:
        await node.script_flush()
    keys = keys_on_every_node(redis_cluster, prefix)

    async def run(batch: list[str]) -> list[Any]:
        pipe = cluster.pipeline(transaction=False)
        for key in batch:
            pipe.execute_command("EVALSHA", sha, 1, key, 7)
        return list(await pipe.execute(raise_on_error=False))

    replies = await run(keys)
    # In place, one per call: the NoScriptError instance where the master lacked the script.
    missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
    assert [keys[i] for i in missing] == [k for k in keys if redis_cluster.node_of(k) == 2]
    assert all(replies[i] == 7 for i in range(len(keys)) if i not in missing)
    # SCRIPT LOAD through the cluster client goes to every primary (and returns the sha).
    assert await cluster.script_load(source) == sha
    assert [await exists_on(redis_cluster, i, sha) for i in range(3)] == [True] * 3
    for i, reply in zip(missing, await run([keys[i] for i in missing]), strict=True):
        replies[i] = reply
    assert replies == [7] * len(keys)
    # Every call applied exactly once.
    assert [await cluster.get(key) for key in keys] == [b"7"] * len(keys)


async def test_raise_on_error_raises_the_first_noscript_after_the_rest_ran(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    sha = await cluster.script_load(COUNT + f" -- {prefix}")
    async with node_client(redis_cluster, 1) as node:
        await node.script_flush()
    keys = [redis_cluster.key_on(i, prefix) for i in range(3)]
    pipe = cluster.pipeline(transaction=False)
    for key in keys:
        pipe.execute_command("EVALSHA", sha, 1, key, 1)
    with pytest.raises(NoScriptError, match=r"Command # 2 \(EVALSHA"):
        await pipe.execute()
    # The calls on the other masters did run: only raise_on_error=False says which did.
    assert [await cluster.get(key) for key in keys] == [b"1", None, b"1"]


async def test_eval_is_allowed_in_a_cluster_pipeline(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    # The alternative without NOSCRIPT: EVAL ships the source with every call.
    keys = keys_on_every_node(redis_cluster, prefix, per_node=1)
    pipe = cluster.pipeline(transaction=False)
    for key in keys:
        pipe.eval(COUNT, 1, key, 3)
    assert await pipe.execute(raise_on_error=False) == [3, 3, 3]


async def test_a_script_over_keys_in_different_slots_is_refused(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    a, b = redis_cluster.key_on(0, prefix), redis_cluster.key_on(1, prefix)
    # The first command of a fresh client goes out before it knows the slot map (to any node;
    # MOVED then routes a single-slot command): the server answers CROSSSLOT.
    with pytest.raises(ClusterCrossSlotError):
        await cluster.eval("return 1", 2, a, b)
    # From then on the client checks the slots itself, and raises no RedisError.
    with pytest.raises(RedisClusterException, match="all keys must map to the same key slot"):
        await cluster.eval("return 1", 2, a, b)
    # One hash tag, one slot: fine (the webhook outbox's three keys share {webhooks}).
    assert await cluster.eval("return #KEYS", 3, f"{prefix}:{{t}}:a", f"{prefix}:{{t}}:b", "x{t}")


async def test_webhook_outbox_slug_lock_and_metastore_work_as_written(
    cluster: RedisCluster, prefix: str
) -> None:
    outbox = RedisOutbox(as_redis(cluster), prefix=prefix, timeout=1.0)
    delivery = Delivery(id=f"msg_{prefix}", url="https://example.com/h", secret="s", payload=b"{}")
    await outbox.enqueue(delivery)
    assert await outbox.depth() == 1
    (claimed,) = await outbox.claim(10, lease=30)
    assert claimed.id == delivery.id and claimed.attempt == 1
    assert await outbox.ack(claimed)
    assert await outbox.depth() == 0

    breaker = CircuitBreaker(1, 2.0)
    lock = RedisSlugLock(as_redis(cluster), breaker, ttl=30, timeout=TIMEOUT)
    async with lock.hold(f"{prefix}-slug") as owner:
        assert owner
        async with lock.hold(f"{prefix}-slug") as second:
            assert not second
    assert await cluster.exists(RedisSlugLock.key(f"{prefix}-slug")) == 0  # released

    meta = RedisMetaStore(as_redis(cluster), breaker, ttl=60, timeout=TIMEOUT)
    image = ImageMeta("images/x/p.png", '"e"', 10, "image/png", 1.0)
    await meta.put(f"{prefix}-slug", image)
    assert await meta.get(f"{prefix}-slug") == image
    assert breaker.allow()


# 3. MULTI/EXEC: one slot only, and not on the asyncio cluster client -------------------------


async def test_a_transaction_on_one_slot_works_once_the_client_is_initialized(
    cluster: RedisCluster, prefix: str
) -> None:
    await cluster.initialize()
    key = RedisQuota.key(prefix, "202601")
    pipe = cluster.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, 3600)
    assert await pipe.execute() == [1, True]
    assert 0 < await cluster.ttl(key) <= 3600
    # Keys sharing a hash tag share a slot.
    pipe = cluster.pipeline(transaction=True)
    pipe.incr(f"{key}:a")
    pipe.incr(f"{key}:b")
    assert await pipe.execute() == [1, 1]


async def test_a_transaction_across_slots_is_refused(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    await cluster.initialize()  # see test_quota_as_written_on_a_fresh_client_poisons_the_client
    pipe = cluster.pipeline(transaction=True)
    pipe.incr(redis_cluster.key_on(0, prefix))
    pipe.incr(redis_cluster.key_on(1, prefix))
    with pytest.raises(CrossSlotTransactionError, match="must map to the same slot"):
        await pipe.execute()
    assert issubclass(CrossSlotTransactionError, RedisClusterException)


async def test_a_transaction_queues_each_command_through_a_new_thread(
    cluster: RedisCluster, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cluster.initialize()
    started = 0
    original = threading.Thread.start

    def counting(self: threading.Thread) -> None:
        nonlocal started
        started += 1
        original(self)

    monkeypatch.setattr(threading.Thread, "start", counting)
    pipe = cluster.pipeline(transaction=True)
    pipe.incr(f"{prefix}:{{q}}")
    pipe.expire(f"{prefix}:{{q}}", 60)
    await pipe.execute()
    # redis-py queues transactional commands via threading.Thread + asyncio.run, one each.
    assert started >= 2


async def test_quota_as_written_on_a_fresh_client_poisons_the_client(
    redis_cluster: RedisClusterProcess, prefix: str
) -> None:
    # RedisQuota's first command is its MULTI pipeline. redis-py queues each transactional
    # command from a new thread running its own event loop (asyncio.run), and a client that
    # has not read the slot map yet reads it right there: the connection to the startup node
    # (node 0) is then bound to that thread's loop, closed as soon as the command is queued.
    elsewhere = on_node(redis_cluster, 1, lambda n: RedisQuota.key(f"{prefix}-{n}", "202601"))
    client = cluster_client(redis_cluster)
    try:
        quota = RedisQuota(as_redis(client), CircuitBreaker(3, 2.0), TIMEOUT)
        await quota.take(elsewhere.split("{")[1].split("}")[0], 10)  # its key is on node 1
        with pytest.raises(RuntimeError, match="Event loop is closed"):
            await client.get(redis_cluster.key_on(0, prefix))
    finally:
        with contextlib.suppress(RuntimeError):
            await client.aclose()

    # A project whose counter is on the startup node: the take itself fails, with an error
    # RedisQuota's `except (RedisError, OSError, TimeoutError)` does not catch.
    here = on_node(redis_cluster, 0, lambda n: RedisQuota.key(f"{prefix}-{n}", "202601"))
    client = cluster_client(redis_cluster)
    try:
        quota = RedisQuota(as_redis(client), CircuitBreaker(3, 2.0), TIMEOUT)
        with pytest.raises(RuntimeError, match="Event loop is closed"):
            await quota.take(here.split("{")[1].split("}")[0], 10)
        assert not issubclass(RuntimeError, RedisError | OSError)
    finally:
        with contextlib.suppress(RuntimeError):
            await client.aclose()


async def test_quota_take_as_one_lua_script(
    redis_cluster: RedisClusterProcess, cluster: RedisCluster, prefix: str
) -> None:
    take = cluster.register_script(QUOTA_TAKE)
    for i in range(3):
        key = on_node(redis_cluster, i, lambda n: RedisQuota.key(f"{prefix}-{n}", "202601"))
        assert [await take(keys=[key], args=[2, 3600]) for _ in range(3)] == [1, 2, -1]
        assert await cluster.get(key) == b"2"  # the refused render is not counted
        assert 0 < await cluster.ttl(key) <= 3600
        assert await cluster.decr(key) == 1  # give_back stays a plain DECR


# 4. A master stops: what fails, how, and how fast ---------------------------------------------


async def test_a_frozen_master(own_cluster: RedisClusterProcess, prefix: str) -> None:
    client = cluster_client(own_cluster)
    keys = [own_cluster.key_on(i, prefix) for i in range(3)]
    try:
        for key in keys:
            await client.set(key, "v")
        own_cluster.nodes[1].freeze()
        # Until the others mark it FAIL, the other masters' keys are unaffected.
        assert await client.get(keys[0]) == b"v"

        # Its keys: redis-py's own TimeoutError (a RedisError, not the builtin), after
        # socket_timeout per attempt (two attempts: CLUSTER_RETRIES is 1), ~0.5 s.
        exc, took = await elapsed(client.get(keys[1]))
        assert type(exc) is RedisTimeoutError and took < 5
        assert not isinstance(exc, TimeoutError)
        # Under ogedge's per-call deadline the builtin TimeoutError (an OSError) comes first.
        exc, took = await elapsed(asyncio.wait_for(client.get(keys[1]), TIMEOUT))
        assert type(exc) is TimeoutError and took < 5
        # A pipeline touching it fails as a whole, even with raise_on_error=False.
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
        exc, took = await elapsed(pipe.execute(raise_on_error=False))
        assert isinstance(exc, RedisTimeoutError | ClusterDownError) and took < 10

        # Once marked FAIL, with cluster-require-full-coverage yes (Redis's default), every
        # master refuses every key: CLUSTERDOWN (a ResponseError, so a RedisError).
        await asyncio.to_thread(own_cluster.wait_state, "fail", [0, 2])
        exc, took = await elapsed(client.get(keys[0]))
        assert type(exc) is ClusterDownError and isinstance(exc, RedisError) and took < 5

        own_cluster.nodes[1].thaw()
        await asyncio.to_thread(own_cluster.wait_ok)
        assert [await client.get(key) for key in keys] == [b"v"] * 3  # the same client recovers
    finally:
        own_cluster.nodes[1].thaw()
        await client.aclose()


async def test_a_killed_master(own_cluster: RedisClusterProcess, prefix: str) -> None:
    client = cluster_client(own_cluster)
    keys = [own_cluster.key_on(i, prefix) for i in range(3)]
    try:
        for key in keys:
            await client.set(key, "v")
        await client.script_load(COUNT)
        own_cluster.nodes[1].stop()
        # Connection refused: redis-py's ConnectionError (a RedisError), at once.
        exc, took = await elapsed(client.get(keys[1]))
        assert type(exc) is RedisConnectionError and took < 5
        assert not isinstance(exc, OSError)
        # SCRIPT LOAD needs every primary.
        exc, _ = await elapsed(client.script_load(COUNT))
        assert isinstance(exc, RedisConnectionError | ClusterDownError)

        await asyncio.to_thread(own_cluster.wait_state, "fail", [0, 2])
        exc, _ = await elapsed(client.get(keys[0]))
        assert type(exc) is ClusterDownError

        # Restarted (same port and node file), it rejoins and the same client finds it.
        own_cluster.nodes[1].start()
        await asyncio.to_thread(own_cluster.wait_ok)
        assert await client.get(keys[0]) == b"v"
        assert await client.set(keys[1], "again")  # no persistence: its data is gone
    finally:
        await client.aclose()


async def test_without_full_coverage_the_other_masters_keep_serving(prefix: str) -> None:
    cluster = RedisClusterProcess(node_timeout_ms=1000, require_full_coverage=False).start()
    client = cluster_client(cluster)
    keys = [cluster.key_on(i, prefix) for i in range(3)]
    try:
        for key in keys:
            await client.set(key, 0)
        cluster.nodes[1].stop()
        await asyncio.to_thread(
            cluster.wait_until,
            lambda infos: all(i is not None and i["cluster_slots_fail"] != "0" for i in infos),
            "aware of the failed master",
            30.0,
            [0, 2],
        )
        assert await client.incr(keys[0]) == 1
        exc, _ = await elapsed(client.incr(keys[1]))
        assert type(exc) is RedisConnectionError
        # A pipeline still fails as a whole, but its commands on live masters did run (once).
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.incr(key)
        exc, _ = await elapsed(pipe.execute(raise_on_error=False))
        assert type(exc) is RedisConnectionError
        assert [await client.get(keys[0]), await client.get(keys[2])] == [b"2", b"1"]
    finally:
        await client.aclose()
        cluster.cleanup()


async def test_an_unreachable_startup_node_is_not_a_redis_error() -> None:
    client = connect(
        f"redis://127.0.0.1:{free_port()}/0",
        cluster=True,
        socket_timeout=TIMEOUT,
        connect_timeout=TIMEOUT,
    )
    try:
        for _ in range(2):  # every call retries discovery, and fails the same way
            exc, took = await elapsed(client.get("k"))
            assert type(exc) is RedisClusterException and took < 5
            assert "cannot be connected" in str(exc)
            assert not isinstance(exc, RedisError | OSError)
    finally:
        await client.aclose()
