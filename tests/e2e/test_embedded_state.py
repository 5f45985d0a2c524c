"""The embedded default (no OGEDGE_REDIS_URL, `ogedge serve --workers 2`) keeps what production
keeps: quotas, per-key and per-IP limits and the webhook outbox are shared by every worker and
survive a restart, and one data directory has one slug secret however many workers start."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import tempfile
from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web
from redis import Redis
from standardwebhooks import Webhook

from devkit.ogedge import OgEdgeServer
from devkit.servers import free_port
from proxy.state.embedded import embedded_url
from tests.e2e.conftest import Start, seed_card
from tests.e2e.test_render_api import create_key
from tests.support.outbox import wait_until_attempted

pytestmark = pytest.mark.e2e

HANG_GUARD = 60.0
# A fresh connection per request, so requests spread over both workers.
FRESH = httpx.Limits(max_keepalive_connections=0)


@pytest.fixture
def data_dir() -> Iterator[str]:
    # Short: the embedded server's unix socket lives under it (sun_path holds ~107 bytes).
    d = tempfile.mkdtemp(prefix="og-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def embedded_env(data_dir: str, **extra: str) -> dict[str, str]:
    return {"OGEDGE_DATA_DIR": data_dir, "OGEDGE_PUBLIC_URL": "https://og.example.com", **extra}


def card(title: str) -> dict[str, str]:
    return {"template": "minimal", "title": title}


async def post_all(url: str, key: str, bodies: list[dict[str, str]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=HANG_GUARD, limits=FRESH) as c:
        return await asyncio.gather(
            *(c.post(f"{url}/api/v2/render", json=b, headers={"x-api-key": key}) for b in bodies)
        )


async def test_a_quota_of_five_gives_exactly_five_new_renders_across_workers_and_restarts(
    data_dir: str, start_server: Start
) -> None:
    env = embedded_env(data_dir)
    key = create_key(env, "acme", "--monthly-quota", "5", "--rate", "1000", "--burst", "1000")
    server = await asyncio.to_thread(start_server, env, 2)
    answers = await post_all(server.url, key, [card(f"Card {n}") for n in range(14)])
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * 5 + [429] * 9, [r.text for r in answers]
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 429} == {
        "quota_exceeded"
    }
    made = [r.json()["slug"] for r in answers if r.status_code == 201]
    await asyncio.to_thread(server.stop)

    again = await asyncio.to_thread(
        start_server, env, 2
    )  # new workers, same data dir: the same embedded state
    after = await post_all(again.url, key, [card("One more"), card("And another")])
    assert [r.status_code for r in after] == [429, 429]
    # What was made stays served.
    async with httpx.AsyncClient(base_url=again.url, timeout=HANG_GUARD) as c:
        for slug in made:
            assert (await c.get(f"/i/{slug}")).status_code == 200


async def test_per_key_and_per_ip_limits_are_shared_by_workers_and_outlive_a_restart(
    data_dir: str, start_server: Start
) -> None:
    env = embedded_env(data_dir, OGEDGE_IMAGE_RATE="0.01", OGEDGE_IMAGE_BURST="5")
    key = create_key(env, "acme", "--rate", "0.01", "--burst", "3")
    await asyncio.to_thread(seed_card, env, "Embedded0001")
    server = await asyncio.to_thread(start_server, env, 2)

    # Per key: strict, one shared GCRA in Redis, so exactly the burst whatever the worker.
    answers = await post_all(server.url, key, [card("Same card")] * 8)
    assert sorted(r.status_code for r in answers).count(429) == 5
    assert sum(r.status_code in (200, 201) for r in answers) == 3

    # Per IP on /i/: spend the burst, wait until Redis holds the debt (no sleeps: poll it).
    async with httpx.AsyncClient(base_url=server.url, timeout=HANG_GUARD, limits=FRESH) as c:
        seen = [(await c.get("/i/Embedded0001")).status_code for _ in range(12)]
    assert 429 in seen
    redis = Redis.from_url(embedded_url(data_dir))
    try:
        tat_key = "ogedge:rl:{image:127.0.0.1}"
        for _ in range(int(HANG_GUARD / 0.02)):
            # Five intervals of 100 s (less the time since): the whole burst is shared debt.
            if (redis.pttl(tat_key) or 0) > 495_000:
                break
            await asyncio.sleep(0.02)
        assert redis.pttl(tat_key) > 495_000
    finally:
        redis.close()
    await asyncio.to_thread(server.stop)

    # New workers start with empty local limiters: only the shared state can refuse these.
    again = await asyncio.to_thread(start_server, env, 2)
    async with httpx.AsyncClient(base_url=again.url, timeout=HANG_GUARD, limits=FRESH) as c:
        after = [(await c.get("/i/Embedded0001")).status_code for _ in range(6)]
        assert after == [429] * 6
        r = await c.post("/api/v2/render", json=card("Same card"), headers={"x-api-key": key})
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"


async def test_a_webhook_queued_to_a_receiver_that_is_down_is_delivered_after_a_restart(
    data_dir: str,
) -> None:
    secret = "whsec_" + base64.b64encode(b"embedded-restart-secret").decode()
    port = free_port()  # nothing listens there yet
    env = embedded_env(
        data_dir,
        OGEDGE_FETCH_ALLOW_PRIVATE="true",
        OGEDGE_WEBHOOK_ALLOW_HTTP="true",
        OGEDGE_WEBHOOK_RETRY_BASE="0.2",
        OGEDGE_WEBHOOK_POLL_INTERVAL="0.1",
        OGEDGE_WEBHOOK_TIMEOUT="1",
        OGEDGE_WEBHOOK_VISIBILITY_TIMEOUT="2",
    )
    key = await asyncio.to_thread(create_key, env, "hooks")
    first = await asyncio.to_thread(OgEdgeServer(env, 2).start)
    try:
        body = {
            **card("Deliver me after a restart"),
            "webhookUrl": f"http://127.0.0.1:{port}/hook",
            "webhookSecret": secret,
        }
        (r,) = await post_all(first.url, key, [body])
        assert r.status_code == 201, r.text
        assert r.json()["webhook_dispatched"] is True
        slug = r.json()["slug"]
        await asyncio.to_thread(wait_until_attempted, embedded_url(data_dir))
    finally:
        await asyncio.to_thread(first.stop)  # Redis stops with it: the outbox is on disk now

    received: list[dict[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(Webhook(secret).verify(await request.read(), dict(request.headers)))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    second = await asyncio.to_thread(OgEdgeServer(env, 2).start)
    try:
        for _ in range(int(HANG_GUARD / 0.05)):
            if received:
                break
            await asyncio.sleep(0.05)
        assert len(received) == 1
        data = received[0]["data"]
        assert isinstance(data, dict) and data["slug"] == slug
    finally:
        await asyncio.to_thread(second.stop)
        await runner.cleanup()


@pytest.mark.parametrize("start", range(20))
async def test_a_fresh_data_dir_gets_one_secret_and_one_slug_per_spec(
    start: int, start_server: Start
) -> None:
    # Both workers start at once on an empty data dir and each loads the slug secret: one
    # must win and both must use it, or the same card would get two URLs.
    d = tempfile.mkdtemp(prefix="og-e2e-")
    try:
        # Threads: the secret is loaded before any render process would start; 20 starts
        # need not wait for 40 of them.
        env = embedded_env(d, OGEDGE_RENDER_MODE="thread")
        key = create_key(env, "acme", "--rate", "1000", "--burst", "1000")
        server = await asyncio.to_thread(start_server, env, 2)
        answers = await post_all(server.url, key, [card(f"Same card {start}")] * 12)
        assert {r.status_code for r in answers} <= {200, 201}, [r.text for r in answers]
        assert len({r.json()["slug"] for r in answers}) == 1
        assert [r.status_code for r in answers].count(201) == 1  # made once, found 11 times
        await asyncio.to_thread(server.stop)
        names = await asyncio.to_thread(os.listdir, os.path.join(d, "system"))
        # One secret and its one metadata sidecar: a losing creator left nothing behind.
        assert sorted(n for n in names if n != ".oglock") == [
            "secret",
            *[n for n in names if n.startswith("secret.") and n.endswith(".ogmeta")],
        ]
        assert sum(n.endswith(".ogmeta") for n in names) == 1
    finally:
        shutil.rmtree(d, ignore_errors=True)
