"""Webhook test pieces: a scripted local receiver, a guarded client allowed onto loopback,
a shared state with a private key prefix, and settings with tiny backoffs."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from aiohttp import web

from config.settings import FetchSettings, WebhookSettings
from devkit.servers import RedisProcess
from proxy.netguard import GuardedClient
from proxy.state import SharedState
from tests.support.state import make_state

# Only a guard against hangs: everything awaited here finishes far sooner when it works.
HANG_GUARD = 30.0

T = TypeVar("T")

# Tiny backoffs so retries happen in milliseconds; the delivery timeout stays short so the
# timeout test is quick, and the lease longer than it as config validation demands.
FAST = WebhookSettings(
    timeout=1.0,
    max_attempts=4,
    retry_base=0.01,
    retry_max_delay=0.05,
    visibility_timeout=3.0,
    poll_interval=0.05,
    concurrency=4,
)

Reply = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Answers each POST with the next scripted reply (the last one repeats) and records it."""

    replies: list[Reply] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    base: str = ""

    def url(self, path: str = "/hook") -> str:
        return self.base + path

    def script(self, *replies: Reply | int) -> None:
        self.replies = [status(r) if isinstance(r, int) else r for r in replies]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(
            Hit(request.path, dict(request.headers), await request.read(), time.monotonic())
        )
        reply = self.replies[min(len(self.hits), len(self.replies)) - 1] if self.replies else None
        return await reply(request) if reply else web.Response(status=204)

    def on(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


def status(code: int, headers: dict[str, str] | None = None) -> Reply:
    async def reply(_: web.Request) -> web.StreamResponse:
        return web.Response(status=code, headers=headers, text="ok" if code < 300 else "no")

    return reply


def hang(seconds: float) -> Reply:
    async def reply(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.Response(status=200)

    return reply


async def until(check: Callable[[], bool], what: str) -> None:
    """Wait for `check()`; fail (not hang) after HANG_GUARD seconds."""
    deadline = time.monotonic() + HANG_GUARD
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)


async def guarded(awaitable: Awaitable[T]) -> T:
    async with asyncio.timeout(HANG_GUARD):
        return await awaitable


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", rec.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rec.base = f"http://127.0.0.1:{port}"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[GuardedClient]:
    guarded_client = await GuardedClient.create(FetchSettings(allow_private=True))
    yield guarded_client
    await guarded_client.close()


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def state(redis_server: RedisProcess, prefix: str) -> AsyncIterator[SharedState]:
    s = make_state(redis_server.url, prefix=prefix)
    yield s
    await s.close()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait for an async `check()`; fail (not hang) after HANG_GUARD seconds."""
    deadline = time.monotonic() + HANG_GUARD
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.02)
