"""Against `ogedge serve`: the Generate API scraping a local page, and a webhook queued while
the receiver is down that is delivered after the server restarts (durable outbox in Redis)."""

from __future__ import annotations

import asyncio
import base64
import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from devkit.ogedge import OgEdgeServer, png_bytes
from devkit.servers import RedisProcess, free_port
from tests.e2e.conftest import Start, unique_slug
from tests.e2e.test_render_api import create_key
from tests.support.outbox import wait_until_attempted

pytestmark = pytest.mark.e2e
PAGE = b"""<html><head><title>Release notes</title>
<meta property="og:title" content="ogedge 1.0 is out">
<meta name="description" content="Faster cards, fewer dependencies.">
<link rel="icon" href="/icon.png"></head><body></body></html>"""
ICON = png_bytes(48, 48)


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, ctype = (ICON, "image/png") if self.path == "/icon.png" else (PAGE, "text/html")
        self.send_response(200)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def page_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notes"
    server.shutdown()
    server.server_close()


def test_generate_through_the_server(
    s3_env: dict[str, str], redis_server: RedisProcess, start_server: Start, page_url: str
) -> None:
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_SECRET": "e2e",
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
    }
    key = create_key(env, unique_slug("g").lower())
    server = start_server(env)
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"authorization": f"Bearer {key}"}
    ) as c:
        r = c.post(
            "/images/generate", json={"url": page_url, "kind": "linkedin", "template": "release"}
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["width"], body["height"], body["cached"]) == (1200, 627, False)
        assert body["source"]["title"] == "ogedge 1.0 is out"
        assert body["source"]["favicon"].endswith("/icon.png")
        slug = body["id"]
        assert c.get(f"/i/{slug}").headers["content-type"] == "image/png"
        again = c.post(
            "/images/generate", json={"url": page_url, "kind": "linkedin", "template": "release"}
        )
        assert again.json()["cached"] is True
        assert again.json()["generationMs"] is None
        forced = c.post(
            "/images/generate",
            json={"url": page_url, "kind": "linkedin", "template": "release", "force": True},
        ).json()
        assert forced["id"] != slug
        later = c.post(
            "/images/generate", json={"url": page_url, "kind": "linkedin", "template": "release"}
        )
        assert later.json()["id"] == forced["id"]


async def test_webhook_queued_while_receiver_down_is_delivered_after_server_restart(
    s3_env: dict[str, str], redis_process: RedisProcess
) -> None:
    secret = "whsec_" + base64.b64encode(b"restart-secret-0123456789").decode()
    port = free_port()
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_process.url,
        "OGEDGE_SECRET": "e2e",
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
        "OGEDGE_WEBHOOK_ALLOW_HTTP": "true",
        "OGEDGE_WEBHOOK_RETRY_BASE": "0.3",
        "OGEDGE_WEBHOOK_POLL_INTERVAL": "0.1",
        # A delivery cut off by the stop is claimed again after this lease, not a minute.
        "OGEDGE_WEBHOOK_TIMEOUT": "1",
        "OGEDGE_WEBHOOK_VISIBILITY_TIMEOUT": "2",
    }
    key = await asyncio.to_thread(create_key, env, unique_slug("r").lower())
    first = await asyncio.to_thread(OgEdgeServer(env).start)
    try:
        async with httpx.AsyncClient(timeout=30) as c:
            r = await c.post(
                f"{first.url}/api/v2/render",
                headers={"x-api-key": key},
                json={
                    "template": "blog",
                    "title": "Deliver me later",
                    "webhookUrl": f"http://127.0.0.1:{port}/hook",
                    "webhookSecret": secret,
                },
            )
        assert r.status_code == 201, r.text
        assert r.json()["webhook_dispatched"] is True
        slug = r.json()["slug"]
        await asyncio.to_thread(wait_until_attempted, redis_process.url)  # the port refused it
    finally:
        await asyncio.to_thread(first.stop)

    received: list[dict[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(Webhook(secret).verify(await request.read(), dict(request.headers)))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    second = await asyncio.to_thread(OgEdgeServer(env).start)  # a new process, same Redis
    try:
        for _ in range(300):  # hang guard: backoff from 0.3 s, a few attempts already spent
            if received:
                break
            await asyncio.sleep(0.1)
        assert len(received) == 1
        data = received[0]["data"]
        assert isinstance(data, dict)
        assert data["slug"] == slug
    finally:
        await asyncio.to_thread(second.stop)
        await runner.cleanup()
