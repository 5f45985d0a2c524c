"""Session-wide real dependencies. Each test gets isolation through its own bucket / key prefix."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

import config
from devkit.servers import MotoProcess, RedisProcess
from proxy.state import SharedState
from proxy.state.open import open_state
from tests.support.cluster import RedisClusterProcess

# Standard AWS variables for moto: any credentials work, and none may leak to a real account.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    server = RedisProcess().start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterProcess]:
    """A 3-master Redis Cluster shared by the session: tests must not stop or freeze its nodes."""
    cluster = RedisClusterProcess().start()
    yield cluster
    cluster.cleanup()


@pytest.fixture
def redis_process() -> Iterator[RedisProcess]:
    """A private redis-server a test may stop, freeze and restart."""
    server = RedisProcess().start()
    yield server
    server.cleanup()


@pytest.fixture
def state_env(redis_server: RedisProcess) -> dict[str, str]:
    """Settings for an in-process app on the session Redis: a key prefix of its own keeps each
    test's limits, quotas, locks and outbox apart (the same isolation a deployment gets)."""
    return {
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_REDIS_PREFIX": f"t{uuid.uuid4().hex[:12]}",
        # In-process apps render on threads: a render process per test app would cost each
        # test a second of start-up. The process pool is what every e2e server runs, and
        # tests/unit/test_render_pool.py tests it directly.
        "OGEDGE_RENDER_MODE": "thread",
    }


@pytest.fixture
async def shared_state(state_env: dict[str, str]) -> AsyncIterator[SharedState]:
    """A SharedState like a worker's (breaker, timeouts), on the session Redis."""
    settings = config.load(state_env)
    state = await open_state(settings)
    yield state
    await state.close()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoProcess]:
    server = MotoProcess().start()
    yield server
    server.stop()


@pytest.fixture
def bucket(moto_server: MotoProcess) -> str:
    name = f"ogedge-{uuid.uuid4().hex[:12]}"
    moto_server.create_bucket(name)
    return name
