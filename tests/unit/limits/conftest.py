"""Shared states for the limiter tests: two per test (two workers' pools) on one Redis, one key
prefix per test, configured like production (short timeouts, a breaker each)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from devkit.servers import RedisProcess
from proxy.state import SharedState
from tests.support.state import make_state

TIMEOUT = 0.25


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def state_a(redis_server: RedisProcess, prefix: str) -> AsyncIterator[SharedState]:
    state = make_state(redis_server.url, timeout=TIMEOUT, prefix=prefix)
    yield state
    await state.close()


@pytest.fixture
async def state_b(redis_server: RedisProcess, prefix: str) -> AsyncIterator[SharedState]:
    # A second client: its own connection pool and breaker, like another worker or node.
    state = make_state(redis_server.url, timeout=TIMEOUT, prefix=prefix)
    yield state
    await state.close()


@pytest.fixture
def scope() -> str:
    return "image"


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
