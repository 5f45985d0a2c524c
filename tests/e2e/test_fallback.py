"""On-demand rendering: a spec without an image is rendered once, however many ask at once."""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec
import pytest

import config
from devkit.servers import RedisProcess
from proxy import layout
from proxy.records import SpecRecord
from proxy.storage import ObjectNotFound, create_storage
from tests.e2e.conftest import Start, unique_slug

pytestmark = pytest.mark.e2e


async def put_spec_only(env: dict[str, str], slug: str) -> None:
    storage = await create_storage(config.load(env).storage)
    try:
        spec = {"template": "blog", "kind": "og", "title": f"On demand {slug}", "tag": "e2e"}
        record = SpecRecord(slug=slug, project="e2e", spec=spec, created=time.time())
        await storage.put(layout.spec(slug), msgspec.json.encode(record), "application/json")
        with pytest.raises(ObjectNotFound):
            await storage.head(layout.image(slug, "png"))
    finally:
        await storage.close()


async def until_logged(servers: list[object], slug: str) -> None:
    for _ in range(1500):  # a hang guard of 30 s
        if renders_logged(servers, slug):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no render of {slug} was logged")


def renders_logged(servers: list[object], slug: str) -> int:
    return sum(s.output().count(f"rendered {slug} on demand") for s in servers)  # type: ignore[attr-defined]


async def test_fifty_concurrent_first_requests_on_two_nodes_render_once(
    s3_env: dict[str, str], redis_server: RedisProcess, start_server: Start
) -> None:
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_IMAGE_RATE": "1000",
        "OGEDGE_IMAGE_BURST": "1000",
        "OGEDGE_WORKERS": "2",
    }
    slug = unique_slug("Demand")
    await put_spec_only(env, slug)
    a = await asyncio.to_thread(start_server, env, 2)
    b = await asyncio.to_thread(start_server, env, 2)
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=100)) as c:
        responses = await asyncio.gather(
            *(c.get(f"{(a, b)[i % 2].url}/i/{slug}") for i in range(50))
        )
    assert [r.status_code for r in responses] == [200] * 50
    assert {r.headers["etag"] for r in responses} == {responses[0].headers["etag"]}
    assert responses[0].content.startswith(b"\x89PNG")
    assert len({r.content for r in responses}) == 1
    # The renderer logs right after storing the image, which other nodes may serve first.
    await until_logged([a, b], slug)
    assert renders_logged([a, b], slug) == 1


async def test_one_node_renders_once_for_twenty_concurrent_first_requests(
    s3_env: dict[str, str], start_server: Start
) -> None:
    env = {**s3_env, "OGEDGE_IMAGE_RATE": "1000", "OGEDGE_IMAGE_BURST": "1000"}
    slug = unique_slug("Solo")
    await put_spec_only(env, slug)
    server = await asyncio.to_thread(start_server, env, 1)
    async with httpx.AsyncClient(timeout=30) as c:
        responses = await asyncio.gather(*(c.get(f"{server.url}/i/{slug}") for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    await until_logged([server], slug)
    assert renders_logged([server], slug) == 1
