"""The test cluster is a real Redis Cluster: three masters splitting the 16384 slots."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import MovedError

from tests.support.cluster import SLOTS, RedisClusterProcess


def test_three_masters_cover_every_slot(redis_cluster: RedisClusterProcess) -> None:
    assert len(redis_cluster.ports) == len(set(redis_cluster.ports)) == 3
    assert redis_cluster.url == f"redis://127.0.0.1:{redis_cluster.ports[0]}/0"
    assert redis_cluster.urls == [f"redis://127.0.0.1:{p}/0" for p in redis_cluster.ports]
    for node in redis_cluster.nodes:
        info = node.info()
        assert info is not None
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == str(SLOTS)
        assert info["cluster_size"] == "3"  # three masters, each serving slots


async def test_a_single_node_client_is_redirected(redis_cluster: RedisClusterProcess) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    # A key owned by another node: the node we talk to answers MOVED <slot> <owner>.
    key = redis_cluster.key_on(1, prefix)
    plain = Redis.from_url(redis_cluster.urls[0], socket_timeout=2, socket_connect_timeout=2)
    try:
        with pytest.raises(MovedError) as moved:
            await plain.set(key, "v")
        assert moved.value.port == redis_cluster.ports[1]
        # Its own keys it serves: MOVED is about slots, not about the client being broken.
        assert await plain.set(redis_cluster.key_on(0, prefix), "v")
    finally:
        await plain.aclose()


async def test_cluster_client_reaches_every_master(redis_cluster: RedisClusterProcess) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    keys = [redis_cluster.key_on(i, prefix) for i in range(3)]
    client = RedisCluster.from_url(redis_cluster.url, socket_timeout=2, socket_connect_timeout=2)
    try:
        for key in keys:
            assert await client.set(key, f"value-of-{key}")
        assert [await client.get(key) for key in keys] == [f"value-of-{k}".encode() for k in keys]
        assert {client.get_node_from_key(key).port for key in keys} == set(redis_cluster.ports)
    finally:
        await client.aclose()
    # Each value really lives on the master that owns its slot: ask each node directly.
    for i, key in enumerate(keys):
        plain = Redis.from_url(redis_cluster.urls[i], socket_timeout=2, socket_connect_timeout=2)
        try:
            assert await plain.get(key) == f"value-of-{key}".encode()
        finally:
            await plain.aclose()
