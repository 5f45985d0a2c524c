"""POST /images/generate through the ASGI app, scraping pages from a local HTTP server."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import config
from devkit.ogedge import png_bytes
from proxy.app import create_app
from proxy.keys import KeyRegistry
from proxy.storage import LocalStorage

PAGE = """<!doctype html><html lang="en"><head>
<meta charset="utf-8"><title>Fallback title</title>
<meta property="og:title" content="Faster cards with &amp; libvips">
<meta property="og:description" content="How we render social cards in milliseconds.">
<meta property="og:site_name" content="Acme Blog">
<meta name="theme-color" content="#ff5500">
<link rel="icon" href="/icon.png" sizes="64x64">
</head><body><h1>ignored</h1></body></html>"""
ICON = png_bytes(64, 64, block=8)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR (RFC 2083, 4.1.1)."""
    assert data.startswith(b"\x89PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _bad_crc(png: bytes) -> bytes:
    """The same PNG with one byte of its image data flipped: the header reads fine, the
    decode fails on the chunk's CRC (libpng's read error)."""
    at = png.index(b"IDAT") + 8
    return png[:at] + bytes([png[at] ^ 0xFF]) + png[at + 1 :]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>'
ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + b"\x00" * 64


def _page_with(icon: str, image: str) -> bytes:
    return (
        "<!doctype html><html><head><title>Broken assets</title>"
        f'<link rel="icon" href="{icon}"><meta property="og:image" content="{image}">'
        "</head><body></body></html>"
    ).encode()


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/post": (200, "text/html; charset=utf-8", PAGE.encode()),
            "/icon.png": (200, "image/png", ICON),
            "/image": (200, "image/png", ICON),
            "/bad-crc.png": (200, "image/png", _bad_crc(ICON)),
            "/truncated.png": (200, "image/png", ICON[: len(ICON) // 2]),
            "/icon.svg": (200, "image/svg+xml", SVG),
            "/favicon.ico": (200, "image/x-icon", ICO),
            "/broken-crc": (200, "text/html", _page_with("/bad-crc.png", "/truncated.png")),
            "/broken-svg": (200, "text/html", _page_with("/icon.svg", "/favicon.ico")),
            "/broken-ico": (200, "text/html", _page_with("/favicon.ico", "/bad-crc.png")),
        }
        status, ctype, body = routes.get(self.path, (404, "text/html", b"<h1>nope</h1>"))
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def make_key(data_dir: Path, project: str, **kwargs: Any) -> str:
    async def create() -> str:
        return (await KeyRegistry(LocalStorage(str(data_dir))).create(project, **kwargs))[0]

    return asyncio.run(create())


def app_client(data_dir: Path, allow_private: bool, state_env: dict[str, str]) -> TestClient[Any]:
    settings = config.load(
        {
            **state_env,
            "OGEDGE_DATA_DIR": str(data_dir),
            "OGEDGE_PUBLIC_URL": "https://og.test",
            "OGEDGE_FETCH_ALLOW_PRIVATE": str(allow_private).lower(),
        }
    )
    return TestClient(create_app(settings))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    with app_client(data_dir, True, state_env) as tc:
        yield tc


def gen(tc: TestClient[Any], key: str, **body: Any) -> Any:
    return tc.post("/images/generate", json=body, headers={"authorization": f"Bearer {key}"})


def test_generate_scrapes_renders_and_caches(
    client: TestClient[Any], data_dir: Path, site: str
) -> None:
    key = make_key(data_dir, "acme")
    r = gen(client, key, url=f"{site}/post", kind="twitter")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cached"] is False
    assert isinstance(body["generationMs"], int)
    assert body["ai"] is None
    assert (body["kind"], body["width"], body["height"]) == ("twitter", 1200, 600)
    assert body["imageUrl"] == f"https://og.test/i/{body['id']}"
    assert body["source"] == {
        "title": "Faster cards with & libvips",
        "description": "How we render social cards in milliseconds.",
        "favicon": f"{site}/icon.png",
    }
    img = client.get(f"/i/{body['id']}")
    assert img.status_code == 200
    assert img.content.startswith(b"\x89PNG")

    again = gen(client, key, url=f"{site}/post", kind="twitter")
    assert again.status_code == 200
    assert again.json()["cached"] is True
    assert again.json()["generationMs"] is None
    assert again.json()["id"] == body["id"]
    assert again.json()["source"] == body["source"]
    # Another kind is another card.
    assert gen(client, key, url=f"{site}/post", kind="square").json()["id"] != body["id"]
    # So is 2x: twice the pixels, said in the answer and true of the image.
    sharp = gen(client, key, url=f"{site}/post", kind="twitter", dpr=2).json()
    assert sharp["id"] != body["id"] and (sharp["width"], sharp["height"]) == (2400, 1200)
    assert png_size(client.get(f"/i/{sharp['id']}").content) == (2400, 1200)


@pytest.mark.parametrize("page", ["/broken-crc", "/broken-svg", "/broken-ico"])
def test_a_favicon_or_image_that_cannot_be_decoded_is_left_out_not_fatal(
    client: TestClient[Any], data_dir: Path, site: str, page: str
) -> None:
    key = make_key(data_dir, "acme", monthly_quota=1)
    # hero draws both: the page image as its background, the favicon as its mark.
    r = gen(client, key, url=f"{site}{page}", template="hero")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cached"] is False
    assert body["assets"] == {"favicon": None, "image": None}
    omitted = body["assetsOmitted"]
    assert set(omitted) == {"favicon", "image"}
    assert all(reason for reason in omitted.values())
    img = client.get(f"/i/{body['id']}")
    assert img.status_code == 200 and img.content.startswith(b"\x89PNG")
    again = gen(client, key, url=f"{site}{page}", template="hero").json()
    assert again["cached"] is True and again["assetsOmitted"] == omitted  # and no quota spent


def test_force_renders_a_new_slug_that_later_repeats_return(
    client: TestClient[Any], data_dir: Path, site: str
) -> None:
    key = make_key(data_dir, "acme")
    first = gen(client, key, url=f"{site}/post").json()["id"]
    forced = gen(client, key, url=f"{site}/post", force=True).json()
    assert forced["cached"] is False
    assert forced["id"] != first
    assert gen(client, key, url=f"{site}/post").json()["id"] == forced["id"]
    assert client.get(f"/i/{first}").status_code == 200  # the old URL keeps serving


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "url"),
        ({"url": "https://example.com", "kind": "poster"}, 400, "kind"),
        ({"url": "ftp://example.com/page"}, 400, "url"),
        ({"url": "https://example.com", "template": "nope"}, 404, "template"),
        ({"url": "https://example.com", "style": "neon"}, 400, "palette"),
        ({"url": "https://example.com", "dpr": 3}, 400, "dpr"),
    ],
)
def test_bad_requests(
    client: TestClient[Any], data_dir: Path, body: Any, status: int, field: str, site: str
) -> None:
    if body.get("url") == "https://example.com":
        body = {**body, "url": f"{site}/post"}
    r = gen(client, make_key(data_dir, "acme"), **body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field


def test_unusable_pages_are_422(client: TestClient[Any], data_dir: Path, site: str) -> None:
    key = make_key(data_dir, "acme")
    missing = gen(client, key, url=f"{site}/gone")
    assert missing.status_code == 422
    assert "404" in missing.json()["error"]["message"]
    not_html = gen(client, key, url=f"{site}/image")
    assert not_html.status_code == 422
    assert not_html.json()["error"]["field"] == "url"
    refused = gen(client, key, url="http://127.0.0.1:1/")
    assert refused.status_code == 422


def test_private_addresses_are_refused_by_default(
    data_dir: Path, site: str, state_env: dict[str, str]
) -> None:
    with app_client(data_dir, False, state_env) as tc:
        r = gen(tc, make_key(data_dir, "acme"), url=f"{site}/post")
        assert r.status_code == 422
        assert r.json()["error"]["field"] == "url"
        assert "address" in r.json()["error"]["message"]


def test_project_keys_stay_in_their_project(
    client: TestClient[Any], data_dir: Path, site: str
) -> None:
    own = make_key(data_dir, "acme")
    r = gen(client, own, url=f"{site}/post", projectId="someone-else")
    assert r.status_code == 403
    glob = make_key(data_dir, "ops", is_global=True)
    assert gen(client, glob, url=f"{site}/post", projectId="someone-else").status_code == 200
