"""GET /api/v2/check on a real `ogedge serve` (Granian), checking pages of a local site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from devkit.ogedge import png_bytes
from devkit.servers import RedisProcess
from tests.e2e.conftest import Start
from tests.e2e.test_render_api import create_key
from tests.support.site import Site, page

pytestmark = pytest.mark.e2e


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site().start()
    running.add(
        "/post",
        page(
            '<meta property="og:title" content="Shipping faster cards">',
            '<meta property="og:image" content="/og.png">',
            '<meta name="twitter:card" content="summary_large_image">',
        ),
    )
    running.add("/og.png", png_bytes(1200, 630), "image/png")
    running.add("/robots.txt", b"User-agent: Twitterbot\nDisallow: /\n", "text/plain")
    yield running
    running.stop()


def test_check_through_the_server(
    tmp_path: Path, redis_server: RedisProcess, start_server: Start, site: Site
) -> None:
    env = {
        "OGEDGE_DATA_DIR": str(tmp_path / "data"),
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_REDIS_PREFIX": f"e2e{uuid.uuid4().hex[:12]}",
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",  # the site is on 127.0.0.1
    }
    key = create_key(env, "checks")
    server = start_server(env)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/api/v2/check", params={"url": site.url("/post")}).status_code == 401
        r = http.get("/api/v2/check", params={"url": site.url("/post")}, headers={"x-api-key": key})
    assert r.status_code == 200, r.text
    report = r.json()
    platforms = {p["id"]: p for p in report["platforms"]}
    assert report["status"] == "fail"
    assert platforms["x"]["status"] == "fail"  # robots.txt shuts out Twitterbot only
    assert {f["code"] for f in platforms["x"]["findings"]} >= {"robots_disallowed"}
    assert platforms["facebook"]["shows"]["image"] == site.url("/og.png")
    assert report["images"][0]["width"] == 1200
    assert site.hits["/post"] == 1  # the 401 fetched nothing
