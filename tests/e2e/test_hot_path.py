"""GET/HEAD /i/<slug> against a real Granian server, with Redis and an S3 endpoint."""

from __future__ import annotations

import shutil
import tempfile
import time

import httpx
import pytest

from devkit.servers import RedisProcess
from tests.e2e.conftest import Start, seed_card, unique_slug

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(s3_env: dict[str, str], redis_server: RedisProcess) -> dict[str, str]:
    return {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_IMAGE_RATE": "1000",
        "OGEDGE_IMAGE_BURST": "1000",
    }


def test_get_head_conditional_and_404s(env: dict[str, str], start_server: Start) -> None:
    SLUG = unique_slug()
    data, etag = seed_card(env, SLUG)
    server = start_server(env)
    with httpx.Client(base_url=server.url, timeout=5) as c:
        r = c.get(f"/i/{SLUG}")
        assert r.status_code == 200
        assert r.content == data
        assert r.headers["content-type"] == "image/png"
        assert r.headers["content-length"] == str(len(data))
        assert r.headers["etag"] == etag
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "last-modified" in r.headers

        h = c.head(f"/i/{SLUG}")
        assert h.status_code == 200
        assert h.content == b""
        assert h.headers["content-length"] == str(len(data))
        assert h.headers["etag"] == etag

        for value in (etag, "*", f"W/{etag}", f'"x", {etag}', f'W/"y",W/{etag}'):
            nm = c.get(f"/i/{SLUG}", headers={"if-none-match": value})
            assert nm.status_code == 304, value
            assert nm.content == b""
            assert nm.headers["etag"] == etag
        assert c.get(f"/i/{SLUG}", headers={"if-none-match": '"other"'}).status_code == 200

        assert c.get("/i/not-a-slug").status_code == 404
        unknown = c.get(f"/i/{unique_slug('Unknown')}")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "not_found"
        assert unknown.headers["cache-control"].startswith("public, max-age=")

        assert c.get("/healthz").json() == {"status": "ok"}
        ready = c.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"]["storage"] == {"ok": True, "backend": "s3"}
        assert ready.json()["checks"]["redis"]["ok"] is True


def test_second_node_answers_304_from_redis_metadata(
    env: dict[str, str], start_server: Start
) -> None:
    SLUG = unique_slug()
    _, etag = seed_card(env, SLUG)
    a = start_server(env)
    b = start_server(env)
    with httpx.Client(timeout=5) as c:
        assert c.head(f"{a.url}/i/{SLUG}").status_code == 200  # A learns it, tells Redis
        r = c.get(f"{b.url}/i/{SLUG}", headers={"if-none-match": etag})
        assert r.status_code == 304


def test_rate_limit_is_shared_between_two_servers(
    s3_env: dict[str, str], redis_process: RedisProcess, start_server: Start
) -> None:
    SLUG = unique_slug()
    # A private Redis: the debt this test leaves for 127.0.0.1 must not limit other tests.
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_process.url,
        "OGEDGE_IMAGE_RATE": "0.2",
        "OGEDGE_IMAGE_BURST": "4",
    }
    seed_card(env, SLUG)
    a = start_server(env)
    b = start_server(env)
    with httpx.Client(timeout=5) as c:
        codes = [c.get(f"{a.url}/i/{SLUG}").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 200]
        _wait_for_shared_debt(redis_process.url, 3 * 5_000)  # A's counts reached Redis
        r = c.get(f"{b.url}/i/{SLUG}")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-remaining"] == "0"
        assert r.json()["error"]["code"] == "rate_limited"


def test_forwarded_for_only_from_trusted_proxies(
    s3_env: dict[str, str], redis_process: RedisProcess, start_server: Start
) -> None:
    SLUG = unique_slug()
    limited = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_process.url,
        "OGEDGE_IMAGE_RATE": "0.1",
        "OGEDGE_IMAGE_BURST": "2",
    }
    seed_card(limited, SLUG)
    trusting = start_server({**limited, "OGEDGE_TRUSTED_PROXIES": "127.0.0.1"})
    with httpx.Client(timeout=5) as c:

        def get(ip: str) -> int:
            return c.get(f"{trusting.url}/i/{SLUG}", headers={"x-forwarded-for": ip}).status_code

        assert [get("198.51.100.7") for _ in range(3)] == [200, 200, 429]
        assert get("198.51.100.8") == 200  # another client behind the same proxy
    untrusting = start_server(limited)
    with httpx.Client(timeout=5) as c:
        codes = [
            c.get(
                f"{untrusting.url}/i/{SLUG}", headers={"x-forwarded-for": f"203.0.113.{i}"}
            ).status_code
            for i in range(3)
        ]
        assert codes == [200, 200, 429]  # the header is ignored: one peer, one bucket


def _wait_for_shared_debt(url: str, more_than_ms: int) -> None:
    """Until Redis holds the client's debt (TAT ahead of now), i.e. a worker synced it."""
    from redis import Redis

    redis = Redis.from_url(url)
    try:
        deadline = time.monotonic() + 30
        while (redis.pttl("ogedge:rl:{image:127.0.0.1}") or 0) <= more_than_ms:
            assert time.monotonic() < deadline, "the counts never reached Redis"
            time.sleep(0.01)
    finally:
        redis.close()


def test_local_disk_cards_are_sent_by_granian_past_the_hot_cache(start_server: Start) -> None:
    d = tempfile.mkdtemp(prefix="og-pathsend-")  # short: the embedded Redis socket lives here
    env = {
        "OGEDGE_DATA_DIR": d,
        "OGEDGE_CACHE_HOT_BYTES": "1024",  # nothing fits: every hit is a file on disk
        "OGEDGE_IMAGE_RATE": "1000",
        "OGEDGE_IMAGE_BURST": "1000",
    }
    try:
        slugs = [unique_slug("File") for _ in range(3)]
        cards = [seed_card(env, slug, n) for n, slug in enumerate(slugs)]
        server = start_server(env, 2)
        with httpx.Client(base_url=server.url, timeout=10) as c:
            for _ in range(3):
                for slug, (data, etag) in zip(slugs, cards, strict=True):
                    r = c.get(f"/i/{slug}")
                    assert r.status_code == 200 and r.content == data
                    assert r.headers["etag"] == etag
                    assert r.headers["content-length"] == str(len(data))
            deadline = time.monotonic() + 30
            while True:  # workers fold their counts in every second
                text = c.get("/metrics").text
                sent = [
                    float(line.split()[-1])
                    for line in text.splitlines()
                    if line.startswith('ogedge_image_source_total{source="file"}')
                ]
                if sent and sent[0] >= 9:  # every GET went out as a file...
                    break
                assert time.monotonic() < deadline, text[-2000:]
                time.sleep(0.2)
            streamed = [
                float(line.split()[-1])
                for line in text.splitlines()
                if line.startswith('ogedge_image_source_total{source="storage"}')
            ]
            assert streamed in ([], [0.0])  # ...and none was streamed through Python
    finally:
        shutil.rmtree(d, ignore_errors=True)
