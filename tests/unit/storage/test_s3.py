"""S3 specifics against moto's real server: prefixes, a dead or hanging endpoint, broken streams,
connection release. Failures are injected with small TCP servers in front of (or instead of) moto."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from config.settings import S3Settings
from devkit.servers import MotoProcess
from proxy.storage import InvalidKey, ObjectNotFound, S3Storage, StorageUnavailable
from proxy.storage.s3 import s3_prefix

# Far above the configured budget (timeouts 1 s, 2 attempts): only a guard against hangs.
HANG_GUARD = 10.0


def settings(endpoint: str, bucket: str, **overrides: object) -> S3Settings:
    base: dict[str, object] = {
        "bucket": bucket,
        "endpoint_url": endpoint,
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "max_attempts": 2,
    }
    return S3Settings(**{**base, **overrides})  # type: ignore[arg-type]


@asynccontextmanager
async def s3(endpoint: str, bucket: str, **overrides: object) -> AsyncIterator[S3Storage]:
    storage = await S3Storage.create(settings(endpoint, bucket, **overrides))
    try:
        yield storage
    finally:
        await storage.close()


async def read(storage: S3Storage, key: str) -> bytes:
    async with storage.open(key) as (_info, chunks):
        return b"".join([c async for c in chunks])


async def expect_unavailable(operation: Callable[[], Awaitable[object]]) -> float:
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await asyncio.wait_for(operation(), HANG_GUARD)
    return time.monotonic() - started


class Relay:
    """A TCP relay to moto that can spoil responses: after the response headers it forwards
    `body_bytes` of body, then closes (`cut`), resets (`reset`) or goes silent (`stall`)."""

    def __init__(self, upstream_port: int, body_bytes: int, mode: str) -> None:
        self.upstream_port = upstream_port
        self.body_bytes = body_bytes
        self.mode = mode
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        pump = asyncio.create_task(self._pump(client_r, up_w))
        self._tasks.add(pump)
        try:
            await self._spoil(up_r, client_w)
        finally:
            pump.cancel()
            up_w.close()
            client_w.close()

    @staticmethod
    async def _pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()

    async def _spoil(self, up: asyncio.StreamReader, client: asyncio.StreamWriter) -> None:
        head = await up.readuntil(b"\r\n\r\n")
        client.write(head)
        sent = 0
        while sent < self.body_bytes and (data := await up.read(self.body_bytes - sent)):
            client.write(data)
            sent += len(data)
        await client.drain()
        if self.mode == "stall":
            await asyncio.sleep(3600)
        elif self.mode == "reset":
            client.transport.abort()
        else:
            client.close()


async def test_prefix_places_objects_under_it(moto_server: MotoProcess, bucket: str) -> None:
    async with (
        s3(moto_server.url, bucket, prefix="/tenants/acme") as scoped,
        s3(moto_server.url, bucket) as whole,
    ):
        await scoped.put("images/x/card.png", b"png", "image/png")
        assert await read(whole, "tenants/acme/images/x/card.png") == b"png"
        with pytest.raises(ObjectNotFound):
            await whole.head("images/x/card.png")
        await scoped.delete("images/x/card.png")
        with pytest.raises(ObjectNotFound):
            await whole.head("tenants/acme/images/x/card.png")


def test_prefix_normalisation() -> None:
    assert [s3_prefix(p) for p in ("", "/", "a", "/a/b/", "a/b")] == ["", "", "a/", "a/b/", "a/b/"]
    for bad in ("a//b", "a/../b", "./a"):
        with pytest.raises(InvalidKey):
            s3_prefix(bad)


async def test_missing_bucket_fails_ping_and_reads_as_unavailable(moto_server: MotoProcess) -> None:
    async with s3(moto_server.url, "ogedge-no-such-bucket") as storage:
        await expect_unavailable(storage.ping)
        await expect_unavailable(lambda: storage.put("k", b"x", "text/plain"))


async def test_stopped_endpoint_is_unavailable_quickly_then_recovers() -> None:
    moto = MotoProcess().start()
    try:
        moto.create_bucket("ogedge-stop")
        async with s3(moto.url, "ogedge-stop") as storage:
            await storage.put("k", b"bytes", "text/plain")
            assert await read(storage, "k") == b"bytes"  # the pool now holds a live connection
            moto.stop()

            elapsed = [
                await expect_unavailable(lambda: storage.head("k")),
                await expect_unavailable(lambda: read(storage, "k")),
                await expect_unavailable(lambda: storage.put("k", b"new", "text/plain")),
                await expect_unavailable(lambda: storage.delete("k")),
                await expect_unavailable(storage.ping),
            ]
            # Connection refused plus one jittered retry: well under the guard, each time.
            assert max(elapsed) < 5, elapsed

            moto.start()  # same port, empty state; the same client must reconnect by itself
            moto.create_bucket("ogedge-stop")
            await storage.ping()
            await storage.put("k", b"again", "text/plain")
            assert await read(storage, "k") == b"again"
    finally:
        moto.stop()


async def test_silent_endpoint_hits_the_read_timeout() -> None:
    # Accepts connections and never answers: only the read timeout can end the wait.
    held: list[asyncio.StreamWriter] = []

    async def swallow(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        held.append(w)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with s3(f"http://127.0.0.1:{port}", "ogedge-silent", read_timeout=0.5) as storage:
            elapsed = await expect_unavailable(lambda: storage.head("k"))
            # Two attempts of 0.5 s each (plus backoff): the timeout is real and bounded.
            assert 0.9 <= elapsed < 5, elapsed
    finally:
        server.close()
        for w in held:
            w.close()


@pytest.mark.parametrize("mode", ["cut", "reset", "stall"])
async def test_failure_mid_stream_raises_not_truncates(
    moto_server: MotoProcess, bucket: str, mode: str
) -> None:
    data = os.urandom(1024 * 1024)
    async with s3(moto_server.url, bucket) as direct:
        await direct.put("images/x/card.png", data, "image/png")
    async with (
        Relay(moto_server.port, body_bytes=300_000, mode=mode) as relay,
        s3(relay.url, bucket, read_timeout=0.5) as storage,
    ):
        received: list[int] = []

        async def consume() -> None:
            async with storage.open("images/x/card.png") as (info, chunks):
                assert info.size == len(data)
                async for chunk in chunks:
                    received.append(len(chunk))

        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await consume()
        assert 0 < sum(received) < len(data)
        assert time.monotonic() - started < HANG_GUARD


async def test_bodies_are_released_with_a_one_connection_pool(
    moto_server: MotoProcess, bucket: str
) -> None:
    # With a single pooled connection, one body left unreleased would block every later request.
    data = os.urandom(2 * 1024 * 1024)
    async with s3(moto_server.url, bucket, max_pool_connections=1) as storage:
        await storage.put("big", data, "application/octet-stream")

        async def abandon_streams() -> None:
            for _ in range(3):
                async with storage.open("big") as (_info, chunks):
                    async for _chunk in chunks:
                        break
            for _ in range(3):
                with pytest.raises(RuntimeError):
                    async with storage.open("big"):
                        raise RuntimeError("handler failed before reading")
            for _ in range(3):
                assert await read(storage, "big") == data
            await storage.head("big")

        await asyncio.wait_for(abandon_streams(), HANG_GUARD)


async def test_server_errors_are_retried_within_budget_then_unavailable() -> None:
    requests = 0

    async def fail(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal requests
        try:
            while not reader.at_eof():
                try:
                    await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                requests += 1
                body = b"<Error><Code>InternalError</Code><Message>boom</Message></Error>"
                writer.write(
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(fail, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with s3(f"http://127.0.0.1:{port}", "ogedge-500", max_attempts=3) as storage:
            await expect_unavailable(lambda: read(storage, "k"))
            assert requests == 3  # max_attempts counts the first try
    finally:
        server.close()
