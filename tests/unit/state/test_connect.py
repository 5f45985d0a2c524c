"""proxy.state.connect: the right client for a single server (TCP or unix socket) or a cluster."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.exceptions import MovedError
from redis.exceptions import TimeoutError as RedisTimeoutError

from devkit.servers import RedisProcess, UnixRedisProcess
from proxy.state.connect import CLUSTER_RETRIES, HEALTH_CHECK_INTERVAL, connect
from tests.support.cluster import RedisClusterProcess
from tests.unit.state.conftest import TIMEOUT


@pytest.fixture(scope="module")
def unix_server() -> Iterator[UnixRedisProcess]:
    server = UnixRedisProcess().start()
    yield server
    server.cleanup()


def assert_options(kwargs: dict[str, object]) -> None:
    assert kwargs["socket_timeout"] == TIMEOUT
    assert kwargs["socket_connect_timeout"] == TIMEOUT
    assert kwargs["health_check_interval"] == HEALTH_CHECK_INTERVAL


async def test_single_node_over_tcp(redis_server: RedisProcess, prefix: str) -> None:
    client = connect(
        redis_server.url, cluster=False, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT
    )
    try:
        assert type(client) is Redis
        assert client.connection_pool.connection_class is Connection
        assert_options(client.connection_pool.connection_kwargs)
        assert await client.set(f"{prefix}:k", "v", ex=60)
        assert await client.get(f"{prefix}:k") == b"v"
    finally:
        await client.aclose()


async def test_single_node_over_a_unix_socket(unix_server: UnixRedisProcess, prefix: str) -> None:
    assert unix_server.url.startswith("unix:///")
    client = connect(
        unix_server.url, cluster=False, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT
    )
    try:
        assert type(client) is Redis
        pool = client.connection_pool
        assert pool.connection_class is UnixDomainSocketConnection
        assert pool.connection_kwargs["path"] == unix_server.socket
        assert_options(pool.connection_kwargs)
        # The server has no TCP listener at all (--port 0): this is the socket.
        assert await client.set(f"{prefix}:k", "v", px=60_000)
        assert await client.get(f"{prefix}:k") == b"v"
        script = client.register_script("return redis.call('GET', KEYS[1])")
        assert await script(keys=[f"{prefix}:k"]) == b"v"
    finally:
        await client.aclose()


async def test_unix_socket_timeouts_apply(prefix: str) -> None:
    server = UnixRedisProcess().start()
    client = connect(server.url, cluster=False, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT)
    try:
        assert await client.set(f"{prefix}:k", "v")
        server.freeze()
        with pytest.raises(RedisTimeoutError):
            # A generous outer bound: the socket timeout (0.25 s per attempt) fires first.
            await asyncio.wait_for(client.get(f"{prefix}:k"), 10)
        server.thaw()
        assert await client.get(f"{prefix}:k") == b"v"
    finally:
        await client.aclose()
        server.cleanup()


async def test_cluster(redis_cluster: RedisClusterProcess, prefix: str) -> None:
    client = connect(
        redis_cluster.url, cluster=True, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT
    )
    try:
        assert type(client) is RedisCluster
        assert_options(client.get_connection_kwargs())
        assert client.retry.get_retries() == CLUSTER_RETRIES
        assert not client.read_from_replicas and client.load_balancing_strategy is None
        keys = [redis_cluster.key_on(i, prefix) for i in range(3)]
        for key in keys:
            assert await client.set(key, key, ex=60)
        assert [await client.get(key) for key in keys] == [key.encode() for key in keys]
        # The startup node led to every master.
        assert sorted(node.port for node in client.get_primaries()) == sorted(redis_cluster.ports)
    finally:
        await client.aclose()


def test_connect_does_not_contact_redis() -> None:
    # Nothing listens on port 1: building a client must not fail; its first command would.
    for cluster in (False, True):
        client = connect(
            "redis://127.0.0.1:1/0", cluster=cluster, socket_timeout=1, connect_timeout=1
        )
        assert isinstance(client, RedisCluster if cluster else Redis)


@pytest.mark.parametrize(
    "url",
    ["unix:///tmp/ogedge-redis.sock", "redis://127.0.0.1:6379/1", "redis://127.0.0.1:6379?db=2"],
)
def test_cluster_mode_rejects_what_a_cluster_cannot_do(url: str) -> None:
    with pytest.raises(ValueError, match="not a Redis Cluster URL"):
        connect(url, cluster=True, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT)


async def test_single_node_mode_against_a_cluster_is_redirected(
    redis_cluster: RedisClusterProcess, prefix: str
) -> None:
    # Why the mode is a setting: the wrong one fails for most keys, loudly.
    client = connect(
        redis_cluster.url, cluster=False, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT
    )
    try:
        with pytest.raises(MovedError):
            await client.set(redis_cluster.key_on(2, prefix), "v")
    finally:
        await client.aclose()
