"""Redis clients for the limiter tests, configured like production (short socket timeouts)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from tests.support.servers import RedisProcess

TIMEOUT = 0.25


def make_client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)


@pytest.fixture
async def redis_a(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    client = make_client(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def redis_b(redis_server: RedisProcess) -> AsyncIterator[Redis]:
    # A second client: its own connection pool, like another worker or node.
    client = make_client(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
def scope() -> str:
    # The session Redis is shared: every test limits its own scope.
    return f"t{uuid.uuid4().hex[:10]}"


async def eventually(
    predicate: Callable[[], bool | Awaitable[bool]], within: float, step: float = 0.02
) -> None:
    """Poll until `predicate` holds; a hang guard, not a speed assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = predicate()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(step)
