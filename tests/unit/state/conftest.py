"""Clients for the state tests, built by proxy.state.connect with production's timeouts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from proxy.state.connect import connect
from tests.support.cluster import RedisClusterProcess

TIMEOUT = 0.25  # RedisSettings' socket_timeout and connect_timeout defaults


def cluster_client(cluster: RedisClusterProcess) -> RedisCluster:
    client = connect(cluster.url, cluster=True, socket_timeout=TIMEOUT, connect_timeout=TIMEOUT)
    assert isinstance(client, RedisCluster)
    return client


@asynccontextmanager
async def node_client(cluster: RedisClusterProcess, index: int) -> AsyncIterator[Redis]:
    """A plain client to one node, to look at what that node alone holds."""
    client = Redis.from_url(cluster.urls[index], socket_timeout=2, socket_connect_timeout=2)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def cluster(redis_cluster: RedisClusterProcess) -> AsyncIterator[RedisCluster]:
    client = cluster_client(redis_cluster)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    # The session cluster is shared: every test writes under its own prefix.
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def own_cluster() -> Iterator[RedisClusterProcess]:
    """A private cluster a test may freeze or kill nodes of. A master silent for 1 s is FAIL."""
    cluster = RedisClusterProcess(node_timeout_ms=1000).start()
    yield cluster
    cluster.cleanup()
