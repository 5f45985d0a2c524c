"""Graceful shutdown: on SIGTERM `ogedge serve` (Granian) stops accepting, finishes what is in
flight (image streams, renders) and exits; queued webhooks stay in the durable Redis outbox.

Every wait is bounded; the time limits are hang guards, not performance targets."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest
from redis import Redis

import config
from devkit.ogedge import OgEdgeServer, seed
from devkit.servers import MotoProcess, RedisProcess, free_port
from tests.e2e.conftest import Start, unique_slug
from tests.e2e.test_render_api import create_key
from tests.support.faults import FaultProxy
from tests.support.outbox import RECORDS, wait_until_attempted

pytestmark = pytest.mark.e2e
# Granian kills workers that have not drained after workers_kill_timeout (30 s); a graceful
# drain here needs a few seconds. Both are far inside this guard.
# The deadline `ogedge serve` promises: Granian's workers_kill_timeout (30 s, serve.py), plus
# a margin for a loaded CI machine. Exiting at all, with code 0, is what is asserted.
EXIT_GUARD = 40.0
SECRET = "whsec_" + base64.b64encode(b"shutdown-drill-secret-bytes").decode()


def _env(moto: MotoProcess, bucket: str, data: Path) -> dict[str, str]:
    return {
        "OGEDGE_S3_BUCKET": bucket,
        "OGEDGE_S3_ENDPOINT_URL": moto.url,
        "OGEDGE_S3_PREFIX": "shutdown",
        "OGEDGE_S3_MAX_ATTEMPTS": "2",
        "OGEDGE_S3_CONNECT_TIMEOUT": "1",
        "OGEDGE_S3_READ_TIMEOUT": "5",
        "OGEDGE_DATA_DIR": str(data),
        "OGEDGE_SECRET": "shutdown-e2e",
        "OGEDGE_IMAGE_RATE": "100000",
        "OGEDGE_IMAGE_BURST": "100000",
        "OGEDGE_PUBLIC_URL": "https://cards.example.org",
    }


def _refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


async def _exits(server: OgEdgeServer) -> int:
    assert server.proc is not None
    code = await asyncio.to_thread(server.proc.wait, EXIT_GUARD)
    return code


async def test_sigterm_finishes_in_flight_streams_and_renders(
    moto_server: MotoProcess, bucket: str, tmp_path: Path, start_server: Start
) -> None:
    proxy = await FaultProxy(moto_server.port).start()
    try:
        direct = _env(moto_server, bucket, tmp_path)
        env = {
            **direct,
            "OGEDGE_S3_ENDPOINT_URL": proxy.url,
            # Too big for the hot cache: every GET streams from storage through the proxy.
            "OGEDGE_CACHE_HOT_ITEM_MAX_BYTES": "1000",
        }
        slug = unique_slug("Drain")
        big = os.urandom(1_200_000)
        await seed(config.load(direct), slug, big)
        key = await asyncio.to_thread(create_key, direct, unique_slug("p").lower())
        server = await asyncio.to_thread(start_server, env)
        url = server.url
        async with httpx.AsyncClient(timeout=EXIT_GUARD) as c:
            first = await c.get(f"{url}/i/{slug}")  # metadata cached from here on
            assert first.content == big

        # Each stream now takes about 3 s: 64 KB every 0.15 s.
        proxy.slow_chunk, proxy.slow_delay, proxy.mode = 64 * 1024, 0.15, "slow_body"
        proxy.clear()
        done_at: dict[str, float] = {}

        async def get(c: httpx.AsyncClient, i: int) -> httpx.Response:
            r = await c.get(f"{url}/i/{slug}")
            done_at[f"get{i}"] = time.monotonic()
            return r

        async def render(c: httpx.AsyncClient, i: int) -> httpx.Response:
            r = await c.post(
                f"{url}/api/v2/render",
                headers={"x-api-key": key},
                json={"template": "quote", "title": f"In flight {i} {slug}", "author": "e2e"},
            )
            done_at[f"render{i}"] = time.monotonic()
            return r

        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(timeout=EXIT_GUARD, limits=limits) as c:
            gets = [asyncio.create_task(get(c, i)) for i in range(20)]
            renders = [asyncio.create_task(render(c, i)) for i in range(4)]
            deadline = time.monotonic() + 10
            image_key = f"/{bucket}/shutdown/images/{slug}/"
            while time.monotonic() < deadline:  # every stream has reached storage
                opened = [s for s in proxy.requests() if s.method == "GET" and image_key in s.path]
                if len(opened) >= 20:
                    break
                await asyncio.sleep(0.05)
            assert len(opened) >= 20, proxy.requests()
            assert not any(t.done() for t in gets)  # still streaming
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            sigterm = time.monotonic()
            got = await asyncio.wait_for(asyncio.gather(*gets), EXIT_GUARD)
            made = await asyncio.wait_for(asyncio.gather(*renders), EXIT_GUARD)

        # Nothing in flight was lost: every stream finished whole after the SIGTERM...
        for i, r in enumerate(got):
            assert r.status_code == 200
            assert int(r.headers["content-length"]) == len(r.content) == len(big)
            assert r.content == big
            assert done_at[f"get{i}"] > sigterm
        # ...and every render answered, including those still rendering at the SIGTERM (each
        # goes through several slowed storage calls, so they end after the streams opened).
        for r in made:
            assert r.status_code == 201, r.text
        assert max(done_at[f"render{i}"] for i in range(len(made))) > sigterm
        assert await _exits(server) == 0, server.output()
        assert _refused(server.port)  # and nothing listens any more

        # The renders were published: a fresh node serves each of them.
        proxy.mode = "pass"
        again = await asyncio.to_thread(start_server, env)
        async with httpx.AsyncClient(timeout=EXIT_GUARD) as c:
            for r in made:
                image = await c.get(f"{again.url}/i/{r.json()['slug']}")
                assert image.status_code == 200
                assert image.headers["content-type"].startswith("image/")
    finally:
        await proxy.aclose()


async def _hanging_receiver() -> tuple[asyncio.Server, int]:
    """Accepts webhook POSTs and never answers: the delivery is in flight at SIGTERM."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the client gives up
        finally:
            writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


_DUE = "ogedge:webhooks:{webhooks}:due"


@pytest.mark.parametrize("receiver", ["closed_port", "hanging"])
async def test_sigterm_leaves_queued_webhooks_in_the_outbox(
    receiver: str,
    moto_server: MotoProcess,
    bucket: str,
    redis_process: RedisProcess,
    tmp_path: Path,
    start_server: Start,
) -> None:
    env = {
        **_env(moto_server, bucket, tmp_path),
        "OGEDGE_REDIS_URL": redis_process.url,
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
        "OGEDGE_WEBHOOK_ALLOW_HTTP": "true",
        # A failed attempt is retried 0-60 s later: well after this test.
        "OGEDGE_WEBHOOK_RETRY_BASE": "60",
        "OGEDGE_WEBHOOK_POLL_INTERVAL": "0.1",
        # The hanging delivery gives up after this; shutdown waits for it, then exits.
        "OGEDGE_WEBHOOK_TIMEOUT": "2",
    }
    hanging = None
    if receiver == "hanging":
        hanging, port = await _hanging_receiver()
    else:
        port = free_port()  # nothing listens there
    try:
        key = await asyncio.to_thread(create_key, env, unique_slug("w").lower())
        server = await asyncio.to_thread(start_server, env)
        async with httpx.AsyncClient(timeout=EXIT_GUARD) as c:
            r = await c.post(
                f"{server.url}/api/v2/render",
                headers={"x-api-key": key},
                json={
                    "template": "blog",
                    "title": f"Queued then SIGTERM {receiver}",
                    "webhookUrl": f"http://127.0.0.1:{port}/hook",
                    "webhookSecret": SECRET,
                },
            )
        assert r.status_code == 201, r.text
        assert r.json()["webhook_dispatched"] is True
        await asyncio.to_thread(
            wait_until_attempted, redis_process.url
        )  # the dispatcher is trying it
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        assert await _exits(server) == 0, server.output()

        redis = Redis.from_url(redis_process.url)
        try:
            assert redis.zcard(_DUE) == 1
            assert redis.hlen(RECORDS) == 1
            assert redis.llen("ogedge:webhooks:{webhooks}:dead") == 0
        finally:
            redis.close()
    finally:
        if hanging is not None:
            hanging.close()
