"""/og/ through the real server (2 workers, the embedded default): signed URLs made by
`ogedge sign` (valid, tampered, unsigned, expired, rotated in and out), the first hit made once
under 20 concurrent requests and counted once, the Render API's slug for the same fields, the
meta-tag URL mode's allow-list, and formats per crawler and per Accept."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from proxy.signing import sign
from tests.e2e.conftest import Start
from tests.e2e.test_render_api import create_key
from tests.unit.test_og import BROWSER_ACCEPT, CRAWLERS

pytestmark = pytest.mark.e2e
OGEDGE = str(Path(sys.executable).with_name("ogedge"))
HANG_GUARD = 60.0
FRESH = httpx.Limits(max_keepalive_connections=0)  # requests spread over both workers


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [OGEDGE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def local(url: str, server_url: str) -> str:
    parts = urlsplit(url)
    return f"{server_url}{parts.path}?{parts.query}"


class Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = (
            f"<html><head><title>A page {self.path}</title>"
            '<meta property="og:description" content="From a meta tag"></head></html>'
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def data_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="og-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


async def test_signed_urls_end_to_end(data_dir: str, start_server: Start) -> None:
    env = {"OGEDGE_DATA_DIR": data_dir, "OGEDGE_PUBLIC_URL": "https://og.example.com"}
    api_key = await asyncio.to_thread(create_key, env, "acme", "--monthly-quota", "2")
    old_secret = await asyncio.to_thread(
        cli, env, "projects", "signing-key", "create", "acme", "--quiet"
    )
    args = ["sign", "--project", "acme", "--template", "quote", "--author", "Ada"]
    first_url = await asyncio.to_thread(cli, env, *args, "--title", "Made on first request")
    unseen_old = await asyncio.to_thread(cli, env, *args, "--title", "Never fetched")
    expiring = await asyncio.to_thread(cli, env, *args, "--title", "Soon gone", "--ttl", "5")
    server = await asyncio.to_thread(start_server, env, 2)
    async with httpx.AsyncClient(timeout=HANG_GUARD, limits=FRESH) as c:
        # The first hit, 20 times at once across both workers: one card, every answer whole.
        first = await asyncio.gather(*(c.get(local(first_url, server.url)) for _ in range(20)))
        assert [r.status_code for r in first] == [200] * 20, first[0].text
        assert len({r.content for r in first}) == 1 and len({r.headers["etag"] for r in first}) == 1

        # The Render API's card for the same fields is that card.
        api = await c.post(
            f"{server.url}/api/v2/render",
            json={"template": "quote", "title": "Made on first request", "author": "Ada"},
            headers={"x-api-key": api_key},
        )
        assert api.status_code == 200 and api.json()["cached"] is True
        by_slug = await c.get(f"{server.url}/i/{api.json()['slug']}")
        assert by_slug.headers["etag"] == first[0].headers["etag"]

        # Counted once: the quota (2) has room for exactly one more new card.
        made = await c.get(local(await asyncio.to_thread(
            cli, env, *args, "--title", "The second card"), server.url))  # fmt: skip
        assert made.status_code == 200
        over = await c.get(local(await asyncio.to_thread(
            cli, env, *args, "--title", "A third card"), server.url))  # fmt: skip
        assert over.status_code == 429 and over.json()["error"]["code"] == "quota_exceeded"

        # Tampered and unsigned.
        path, _, query = local(first_url, server.url).partition("?")
        params = dict(parse_qsl(query))
        for bad, code in (
            ({**params, "title": "Tampered"}, "invalid_signature"),
            ({k: v for k, v in params.items() if k != "sig"}, "missing_signature"),
        ):
            r = await c.get(f"{path}?{urlencode(bad)}")
            assert (r.status_code, r.json()["error"]["code"]) == (403, code)

        # Expired: refused once its time has passed (polled, not slept).
        deadline = time.monotonic() + HANG_GUARD
        while True:
            r = await c.get(local(expiring, server.url))
            if r.status_code == 403:
                break
            assert time.monotonic() < deadline, r.status_code
            await asyncio.sleep(0.2)
        assert r.json()["error"]["code"] == "expired_signature"

        # Rotated in: a second key signs too, the old one keeps working until revoked.
        await asyncio.to_thread(cli, env, "projects", "signing-key", "create", "acme")
        rotated = await asyncio.to_thread(cli, env, *args, "--title", "The second card")
        r_path, _, r_query = urlsplit(rotated).path, None, dict(parse_qsl(urlsplit(rotated).query))
        assert r_query["sig"] != sign(old_secret, r_path, r_query)  # the newest key signed it
        # A new key is accepted within a second on every node (the key list is read again).
        deadline = time.monotonic() + HANG_GUARD
        while (r := await c.get(local(rotated, server.url))).status_code != 200:
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.2)
        old_id = "_".join(old_secret.split("_")[1:3])  # ogsk_<key id>_<secret>
        listing = await asyncio.to_thread(cli, env, "projects", "signing-key", "list", "acme")
        assert old_id in listing
        await asyncio.to_thread(cli, env, "projects", "signing-key", "revoke", "acme", old_id)
        # Rotated out: a URL of the old key that no node has seen is refused within seconds.
        deadline = time.monotonic() + HANG_GUARD
        while (r := await c.get(local(unseen_old, server.url))).status_code != 403:
            assert time.monotonic() < deadline, r.status_code
            await asyncio.sleep(0.2)
        assert r.json()["error"]["code"] == "invalid_signature"
        assert (await c.get(local(rotated, server.url))).status_code == 200


async def test_url_mode_and_formats_end_to_end(
    data_dir: str, site: str, start_server: Start
) -> None:
    env = {
        "OGEDGE_DATA_DIR": data_dir,
        "OGEDGE_PUBLIC_URL": "https://og.example.com",
        "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
    }
    await asyncio.to_thread(cli, env, "projects", "allow-domain", "acme", "127.0.0.1")
    assert await asyncio.to_thread(cli, env, "projects", "domains", "acme") == "127.0.0.1"
    server = await asyncio.to_thread(start_server, env, 2)
    url = f"{server.url}/og/acme?" + urlencode({"url": f"{site}/post?id=1", "template": "docs"})
    async with httpx.AsyncClient(timeout=HANG_GUARD, limits=FRESH) as c:
        first = await asyncio.gather(*(c.get(url) for _ in range(8)))
        assert [r.status_code for r in first] == [200] * 8, first[0].text
        assert len({r.headers["etag"] for r in first}) == 1
        refused = await c.get(f"{server.url}/og/other?" + urlencode({"url": f"{site}/post?id=1"}))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "host_not_allowed"
        elsewhere = await c.get(
            f"{server.url}/og/acme?" + urlencode({"url": "https://example.org/"})
        )
        assert elsewhere.status_code == 403

        for agent in CRAWLERS:
            r = await c.get(url, headers={"user-agent": agent, "accept": BROWSER_ACCEPT})
            assert r.status_code == 200
            assert r.headers["content-type"] in ("image/png", "image/jpeg"), agent
        webp = await c.get(url, headers={"accept": "image/webp,*/*;q=0.8"})
        assert webp.headers["content-type"] == "image/webp"
        assert webp.headers["vary"] == "Accept"
        avif = await c.get(url, headers={"accept": BROWSER_ACCEPT})
        assert avif.headers["content-type"] == "image/avif"
        plain = await c.get(url)
        assert plain.headers["content-type"] == "image/png" and plain.headers["vary"] == "Accept"
