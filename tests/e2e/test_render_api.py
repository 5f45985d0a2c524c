"""The Render API on two `ogedge serve` nodes sharing one Redis and one S3 endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from devkit.servers import RedisProcess
from tests.e2e.conftest import Start, unique_slug

pytestmark = pytest.mark.e2e
OGEDGE = str(Path(sys.executable).with_name("ogedge"))


def create_key(env: dict[str, str], project: str, *args: str) -> str:
    out = subprocess.run(
        [OGEDGE, "keys", "create", "--project", project, "--quiet", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = out.stdout.strip()
    assert key.startswith("ogk_live_")
    return key


def test_two_nodes_share_dedup_quota_limits_and_revocation(
    s3_env: dict[str, str], redis_process: RedisProcess, start_server: Start
) -> None:
    env = {
        **s3_env,
        "OGEDGE_REDIS_URL": redis_process.url,
        "OGEDGE_SECRET": "e2e-secret",
        "OGEDGE_PUBLIC_URL": "https://cards.example.org",
    }
    project = unique_slug("p").lower()
    key = create_key(env, project, "--monthly-quota", "2", "--rate", "100", "--burst", "100")
    a, b = start_server(env), start_server(env)
    card = {"template": "quote", "title": "Shared across nodes", "author": "e2e"}
    with httpx.Client(timeout=30, headers={"x-api-key": key}) as c:
        made = c.post(f"{a.url}/api/v2/render", json=card)
        assert made.status_code == 201, made.text
        slug = made.json()["slug"]
        assert made.json()["url"] == f"https://cards.example.org/i/{slug}"
        # Dedup is shared: node B finds A's card.
        again = c.post(f"{b.url}/api/v2/render", json=card)
        assert again.status_code == 200
        assert again.json()["slug"] == slug
        assert again.json()["cached"] is True
        # The image is warm on both nodes.
        assert c.get(f"{b.url}/i/{slug}").status_code == 200
        # The quota (2) is shared: one more new render on B, then 429 on A.
        assert c.post(f"{b.url}/api/v2/render", json={**card, "title": "second"}).status_code == 201
        over = c.post(f"{a.url}/api/v2/render", json={**card, "title": "third"})
        assert over.status_code == 429
        assert over.json()["error"]["code"] == "quota_exceeded"

    limited = create_key(env, project, "--rate", "0.05", "--burst", "2")
    with httpx.Client(timeout=30, headers={"x-api-key": limited}) as c:
        assert c.post(f"{a.url}/api/v2/render", json=card).status_code == 200
        assert c.post(f"{b.url}/api/v2/render", json=card).status_code == 200
        third = c.post(f"{a.url}/api/v2/render", json=card)
        assert third.status_code == 429  # the per-key limit is shared through Redis
        assert third.json()["error"]["code"] == "rate_limited"

    listing = subprocess.run(
        [OGEDGE, "keys", "list", "--project", project],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    key_id = next(line.split()[0] for line in listing.splitlines() if line.startswith("key_"))
    subprocess.run(
        [OGEDGE, "keys", "revoke", key_id],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=60,
    )
    deadline = time.monotonic() + 15
    revoked_on = set()
    while time.monotonic() < deadline and len(revoked_on) < 2:
        for node in (a, b):
            r = httpx.post(
                f"{node.url}/api/v2/render",
                json=card,
                timeout=30,
                headers={"x-api-key": key if key_id else limited},
            )
            if r.status_code == 401:
                revoked_on.add(node.url)
        time.sleep(0.5)
    assert revoked_on == {a.url, b.url}  # within seconds on every node


def test_redis_down_means_503_for_generation_and_images_still_flow(
    s3_env: dict[str, str], redis_process: RedisProcess, start_server: Start
) -> None:
    env = {**s3_env, "OGEDGE_REDIS_URL": redis_process.url, "OGEDGE_SECRET": "e2e-secret"}
    key = create_key(env, unique_slug("q").lower())
    server = start_server(env)
    with httpx.Client(base_url=server.url, timeout=30, headers={"x-api-key": key}) as c:
        slug = c.post(
            "/api/v2/render", json={"template": "blog", "title": "before the outage"}
        ).json()["slug"]
        redis_process.stop()
        r = c.post("/api/v2/render", json={"template": "blog", "title": "during the outage"})
        assert r.status_code == 503
        assert int(r.headers["retry-after"]) >= 1
        assert c.get(f"/i/{slug}").status_code == 200
