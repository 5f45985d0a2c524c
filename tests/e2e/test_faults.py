"""Dependencies failing under a running server: Redis stopped or frozen, S3 endpoint stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devkit.servers import MotoProcess, RedisProcess
from tests.e2e.conftest import Start, seed_card, unique_slug

pytestmark = pytest.mark.e2e
# A hang guard, not a performance target: a request waiting on a dead Redis would take
# at least the OS TCP timeout (minutes); bounded failure handling answers well under this.
LATENCY_BOUND = 1.5


def _hammer(
    url: str, slugs: list[str], seconds: float, during: Callable[[], None]
) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = []
    stop = time.monotonic() + seconds

    def worker() -> None:
        with httpx.Client(timeout=10) as c:
            i = 0
            while time.monotonic() < stop:
                t = time.monotonic()
                r = c.get(f"{url}/i/{slugs[i % len(slugs)]}")
                results.append((r.status_code, time.monotonic() - t))
                i += 1

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(seconds / 3)
    during()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("fault", ["stop", "freeze"])
def test_images_keep_flowing_when_redis_dies(
    fault: str, s3_env: dict[str, str], redis_process: RedisProcess, start_server: Start
) -> None:
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_process.url,
        "OGEDGE_IMAGE_RATE": "100000",
        "OGEDGE_IMAGE_BURST": "100000",
    }
    slugs = [unique_slug("Fault") for _ in range(6)]
    for n, slug in enumerate(slugs):
        seed_card(env, slug, n)
    server = start_server(env)
    results = _hammer(
        server.url, slugs, 3.0, redis_process.stop if fault == "stop" else redis_process.freeze
    )
    try:
        assert len(results) > 50
        assert {code for code, _ in results} == {200}
        assert max(latency for _, latency in results) < LATENCY_BOUND
        # New slugs (metadata not cached anywhere) still resolve with Redis gone.
        with httpx.Client(timeout=10) as c:
            late = unique_slug("Late")
            seed_card(env, late, 9)
            t = time.monotonic()
            assert c.get(f"{server.url}/i/{late}").status_code == 200
            assert time.monotonic() - t < LATENCY_BOUND
            ready = c.get(f"{server.url}/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["redis"]["ok"] is False
    finally:
        if fault == "freeze":
            redis_process.thaw()


def test_s3_down_serves_hot_hits_and_503s_misses(tmp_path: Path, start_server: Start) -> None:
    moto = MotoProcess().start()
    try:
        moto.create_bucket("faults")
        env = {
            "OGEDGE_S3_BUCKET": "faults",
            "OGEDGE_S3_ENDPOINT_URL": moto.url,
            "OGEDGE_S3_MAX_ATTEMPTS": "2",
            "OGEDGE_S3_CONNECT_TIMEOUT": "0.5",
            "OGEDGE_S3_READ_TIMEOUT": "1",
            "OGEDGE_DATA_DIR": str(tmp_path),
            "OGEDGE_IMAGE_RATE": "1000",
            "OGEDGE_IMAGE_BURST": "1000",
        }
        hot, _ = seed_card(env, "HotCard00001", 1)
        seed_card(env, "ColdCard0001", 2)
        server = start_server(env)
        with httpx.Client(base_url=server.url, timeout=10) as c:
            assert c.get("/i/HotCard00001").content == hot
            moto.stop()
            r = c.get("/i/HotCard00001")
            assert r.status_code == 200
            assert r.content == hot
            miss = c.get("/i/ColdCard0001")
            assert miss.status_code == 503
            assert miss.headers["retry-after"] == "2"
            assert c.get("/readyz").status_code == 503
    finally:
        moto.stop()
