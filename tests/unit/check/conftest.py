"""A local site and a guarded client allowed to reach it, for the page-check tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from config.settings import FetchSettings
from proxy.check import PageChecker
from proxy.netguard import GuardedClient
from tests.support.site import Site


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site().start()
    yield running
    running.stop()


@pytest.fixture
async def client() -> AsyncIterator[GuardedClient]:
    # Loopback is refused in production; the test site lives there.
    guarded = await GuardedClient.create(FetchSettings(allow_private=True, total_timeout=5.0))
    yield guarded
    await guarded.close()


@pytest.fixture
def checker(client: GuardedClient) -> PageChecker:
    return PageChecker(client, max_page_bytes=512 * 1024)
