"""Render API -> durable outbox -> a signed `render.completed` delivery, verified by the
receiver with the `standardwebhooks` library; a 500 from the receiver is retried."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest
from aiohttp import web
from standardwebhooks import Webhook

from devkit.servers import RedisProcess
from tests.e2e.conftest import Start, unique_slug
from tests.e2e.test_render_api import create_key

pytestmark = pytest.mark.e2e
SECRET = "whsec_" + base64.b64encode(b"receiver-shared-secret-bytes").decode()


async def test_render_delivers_a_signed_event_and_retries_a_500(
    s3_env: dict[str, str], redis_server: RedisProcess, start_server: Start
) -> None:
    received: list[dict[str, object]] = []
    answers = [500, 200]

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        # Raises when the signature, id or timestamp does not verify.
        event = Webhook(SECRET).verify(body, dict(request.headers))
        received.append(event)
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_SECRET": "e2e",
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
        "OGEDGE_WEBHOOK_ALLOW_HTTP": "true",
        "OGEDGE_WEBHOOK_RETRY_BASE": "0.2",
        "OGEDGE_WEBHOOK_POLL_INTERVAL": "0.1",
        "OGEDGE_PUBLIC_URL": "https://cards.example.org",
    }
    try:
        key = await asyncio.to_thread(create_key, env, unique_slug("w").lower())
        server = await asyncio.to_thread(start_server, env)
        async with httpx.AsyncClient(timeout=30) as c:
            r = await c.post(
                f"{server.url}/api/v2/render",
                headers={"x-api-key": key},
                json={
                    "template": "blog",
                    "title": "Tell me when it is ready",
                    "webhookUrl": f"http://127.0.0.1:{port}/hook",
                    "webhookSecret": SECRET,
                    "metadata": {"post": 42},
                },
            )
        assert r.status_code == 201, r.text
        assert r.json()["webhook_dispatched"] is True
        slug = r.json()["slug"]
        for _ in range(200):  # hang guard: retries back off from 0.2 s
            if len(received) >= 2:
                break
            await asyncio.sleep(0.1)
        assert len(received) == 2  # the 500, then the retry that succeeded
        first, second = received
        assert first == second  # the same event, signed again for the retry
        assert first["type"] == "render.completed"
        data = first["data"]
        assert isinstance(data, dict)
        assert data["slug"] == slug
        assert data["url"] == f"https://cards.example.org/i/{slug}"
        assert data["metadata"] == {"post": 42}
        assert "s3" not in json.dumps(first) and "e2e/" not in json.dumps(first)
    finally:
        await runner.cleanup()
