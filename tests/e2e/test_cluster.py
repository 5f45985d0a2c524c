"""Two `ogedge serve` nodes on a real 3-master Redis Cluster and one S3 endpoint: limits,
quotas, dedup, one render per slug and webhooks, all through the cluster client."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid

import httpx
import pytest
from aiohttp import web
from redis.cluster import RedisCluster
from standardwebhooks import Webhook

from tests.e2e.conftest import Start, seed_card, unique_slug
from tests.e2e.test_fallback import put_spec_only, renders_logged, until_logged
from tests.e2e.test_render_api import create_key
from tests.support.cluster import RedisClusterProcess

pytestmark = pytest.mark.e2e
SECRET = "whsec_" + base64.b64encode(b"cluster-receiver-secret").decode()
HANG_GUARD = 60.0


@pytest.fixture
def cluster_env(s3_env: dict[str, str], redis_cluster: RedisClusterProcess) -> dict[str, str]:
    return {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_cluster.url,
        "OGEDGE_REDIS_CLUSTER": "true",
        "OGEDGE_REDIS_PREFIX": f"c{uuid.uuid4().hex[:10]}",
        "OGEDGE_SECRET": "cluster-e2e",
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
        "OGEDGE_WEBHOOK_ALLOW_HTTP": "true",
        "OGEDGE_WEBHOOK_POLL_INTERVAL": "0.1",
        "OGEDGE_IMAGE_RATE": "0.01",
        "OGEDGE_IMAGE_BURST": "4",
        # Each /i/ request names its client, so the per-IP limit is tested on one of them.
        "OGEDGE_TRUSTED_PROXIES": "127.0.0.1",
    }


def client(n: int) -> dict[str, str]:
    return {"x-forwarded-for": f"203.0.113.{n}"}


async def test_two_nodes_on_a_cluster_share_every_kind_of_state(
    cluster_env: dict[str, str], redis_cluster: RedisClusterProcess, start_server: Start
) -> None:
    env = cluster_env
    project = unique_slug("c").lower()
    key = await asyncio.to_thread(
        create_key, env, project, "--monthly-quota", "3", "--rate", "1000", "--burst", "1000"
    )
    slow = await asyncio.to_thread(
        create_key, env, project + "-slow", "--rate", "0.01", "--burst", "2"
    )
    on_demand = unique_slug("Clu")
    await put_spec_only(env, on_demand)
    hot = unique_slug("Hot")
    await asyncio.to_thread(seed_card, env, hot)
    a = await asyncio.to_thread(start_server, env)
    b = await asyncio.to_thread(start_server, env)
    nodes = (a, b)

    received: list[dict[str, object]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(Webhook(SECRET).verify(await request.read(), dict(request.headers)))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with httpx.AsyncClient(timeout=HANG_GUARD) as c:
            # Dedup: a card made on A is found on B, under the same slug.
            card = {"template": "quote", "title": "On a cluster", "author": "e2e"}
            made = await c.post(f"{a.url}/api/v2/render", json=card, headers={"x-api-key": key})
            assert made.status_code == 201, made.text
            found = await c.post(f"{b.url}/api/v2/render", json=card, headers={"x-api-key": key})
            assert (found.status_code, found.json()["slug"]) == (200, made.json()["slug"])

            # Quota (3): two more new renders across both nodes, then 429 on either.
            bodies = [{**card, "title": f"Quota {n}"} for n in range(4)]
            codes = [
                (await c.post(f"{nodes[n % 2].url}/api/v2/render", json=body,
                              headers={"x-api-key": key})).status_code
                for n, body in enumerate(bodies)
            ]  # fmt: skip
            assert codes == [201, 201, 429, 429]

            # Per-key limit (burst 2), strict through the cluster: the third is refused.
            limited = [
                (await c.post(f"{nodes[n % 2].url}/api/v2/render", json=card,
                              headers={"x-api-key": slow})).status_code
                for n in range(3)
            ]  # fmt: skip
            assert limited == [201, 200, 429]  # its own project: made once, then found

            # One render per slug across nodes: 30 concurrent first requests.
            first = await asyncio.gather(
                *(c.get(f"{nodes[n % 2].url}/i/{on_demand}", headers=client(n)) for n in range(30))
            )
            assert [r.status_code for r in first] == [200] * 30
            assert len({r.content for r in first}) == 1
            await until_logged([a, b], on_demand)
            assert renders_logged([a, b], on_demand) == 1

            # Per-IP /i/ limit (burst 4): spent on A, refused on B once A's counts reached
            # the cluster (polled there, not waited for).
            spend = [
                (await c.get(f"{a.url}/i/{hot}", headers=client(99))).status_code for _ in range(4)
            ]
            assert spend == [200] * 4
            await asyncio.to_thread(_shared_debt_over, redis_cluster, env, 3 * 100_000)
            refused = await c.get(f"{b.url}/i/{hot}", headers=client(99))
            assert refused.status_code == 429

            # Webhooks: queued on B, delivered by whichever node claims it, signed.
            hooked = await c.post(
                f"{b.url}/api/v2/render",
                json={
                    "template": "quote",
                    "title": "On a cluster",
                    "author": "e2e",
                    "webhookUrl": f"http://127.0.0.1:{port}/hook",
                    "webhookSecret": SECRET,
                },
                headers={"x-api-key": key},
            )
            assert hooked.status_code == 200 and hooked.json()["webhook_dispatched"] is True
        for _ in range(int(HANG_GUARD / 0.05)):
            if received:
                break
            await asyncio.sleep(0.05)
        assert len(received) == 1
        data = received[0]["data"]
        assert isinstance(data, dict) and data["slug"] == made.json()["slug"]
        assert data["cached"] is True
    finally:
        await runner.cleanup()


def _shared_debt_over(cluster: RedisClusterProcess, env: dict[str, str], more_than_ms: int) -> None:
    client = RedisCluster.from_url(cluster.url)
    key = f"{env['OGEDGE_REDIS_PREFIX']}:rl:{{image:203.0.113.99}}"
    try:
        deadline = time.monotonic() + HANG_GUARD
        while (client.pttl(key) or 0) <= more_than_ms:
            assert time.monotonic() < deadline, "the counts never reached the cluster"
            time.sleep(0.01)
    finally:
        client.close()
