"""/og/ URLs through the ASGI app: signed render URLs (valid, tampered, unsigned, expired,
rotated), the same card as the Render API, the meta-tag URL mode's allow-list, and crawler- and
Accept-aware formats on /og/ and /i/."""

from __future__ import annotations

import asyncio
import html
import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from litestar.testing import TestClient

import config
import renderer
from proxy.app import create_app
from proxy.domains import AllowedDomains
from proxy.secret import load_secret
from proxy.signing import SigningKeys, signed_url
from proxy.signing.make import sign_fields
from proxy.storage import LocalStorage
from tests.unit.api.test_generate import png_size
from tests.unit.api.test_render import make_key

FIELDS = {"title": "Signed and sealed", "tag": "Docs", "author": "Ada"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def client(data_dir: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    settings = config.load(
        {
            "OGEDGE_DATA_DIR": str(data_dir),
            "OGEDGE_PUBLIC_URL": "https://og.example.com",
            "OGEDGE_FETCH_ALLOW_PRIVATE": "true",
            **state_env,
        }
    )
    with TestClient(create_app(settings)) as tc:
        yield tc


def keys(data_dir: Path) -> SigningKeys:
    storage = LocalStorage(str(data_dir))
    return SigningKeys(storage, asyncio.run(load_secret("", storage)))


def new_key(data_dir: Path, project: str = "acme") -> str:
    return asyncio.run(keys(data_dir).create(project))[0]


def sign(data_dir: Path, project: str = "acme", template: str = "blog", **extra: Any) -> str:
    spec = renderer.RenderSpec(template=template, **{**FIELDS, **extra})
    url = asyncio.run(sign_fields(keys(data_dir), "https://og.example.com", project, spec))
    return path_of(url)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_signed_url_renders_once_and_is_the_render_api_card(
    client: TestClient[Any], data_dir: Path
) -> None:
    new_key(data_dir)
    url = sign(data_dir)
    first = client.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/png"
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert first.content.startswith(b"\x89PNG")
    # The same fields through the Render API: the same card, already made.
    api = client.post(
        "/api/v2/render",
        json={"template": "blog", **FIELDS},
        headers={"x-api-key": make_key(data_dir, "acme")},
    )
    assert api.status_code == 200 and api.json()["cached"] is True
    card = client.get(f"/i/{api.json()['slug']}")
    assert card.content == first.content and card.headers["etag"] == first.headers["etag"]
    # Later requests: the same answer, 304 and HEAD like /i/.
    etag = first.headers["etag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == first.headers["content-length"]


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (lambda q: {**q, "title": "Something else"}, "invalid_signature"),
        (lambda q: {k: v for k, v in q.items() if k != "sig"}, "missing_signature"),
        (lambda q: {**q, "sig": "A" * 22}, "invalid_signature"),
        (lambda q: {**q, "sig": "short"}, "invalid_signature"),
        (lambda q: {**q, "tag": "injected"}, "invalid_signature"),
    ],
)
def test_tampered_and_unsigned_urls_are_403_before_any_render(
    client: TestClient[Any], data_dir: Path, tamper: Any, code: str
) -> None:
    new_key(data_dir)
    path, _, query = sign(data_dir).partition("?")
    r = client.get(f"{path}?{urlencode(tamper(dict(parse_qsl(query))))}")
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == code
    # Nothing was made: no card exists under any slug for this project.
    assert not list((data_dir / "specs").glob("*.json")) if (data_dir / "specs").exists() else True


def test_an_expired_url_is_403_and_a_future_one_works(
    client: TestClient[Any], data_dir: Path
) -> None:
    secret = new_key(data_dir)
    fields = {**FIELDS, "expires": str(int(time.time()) - 5)}
    expired = path_of(signed_url("https://x", secret, "/og/acme/blog", fields))
    r = client.get(expired)
    assert r.status_code == 403 and r.json()["error"]["code"] == "expired_signature"
    fields["expires"] = str(int(time.time()) + 3600)
    assert (
        client.get(path_of(signed_url("https://x", secret, "/og/acme/blog", fields))).status_code
        == 200
    )


def test_a_key_of_another_project_does_not_sign_this_one(
    client: TestClient[Any], data_dir: Path
) -> None:
    other = new_key(data_dir, "other")
    new_key(data_dir, "acme")
    url = path_of(signed_url("https://x", other, "/og/acme/blog", FIELDS))
    assert client.get(url).status_code == 403


def test_bad_fields_and_unknown_templates_are_client_errors(
    client: TestClient[Any], data_dir: Path
) -> None:
    secret = new_key(data_dir)
    for fields, template, status in (
        ({**FIELDS, "kind": "poster"}, "blog", 400),
        ({**FIELDS, "title": "x" * 300}, "blog", 400),
        ({**FIELDS, "bogus": "1"}, "blog", 400),
        (FIELDS, "nope", 404),
        ({"tag": "no title"}, "blog", 400),
    ):
        url = path_of(signed_url("https://x", secret, f"/og/acme/{template}", fields))
        r = client.get(url)
        assert r.status_code == status, (fields, template, r.text)
    assert client.get("/og/").status_code == 404
    assert client.get("/og/acme/blog/extra?title=x").status_code == 404
    assert client.get("/og/ACME%2F..%2Fx/blog?title=x").status_code == 404
    assert client.post("/og/acme/blog?title=x").status_code == 405


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = (
            "<html><head><title>Allow-listed page</title>"
            f'<meta property="og:title" content="Page {html.escape(self.path)}">'
            '<meta property="og:description" content="Rendered from a meta tag">'
            "</head></html>"
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_url_mode_serves_allow_listed_hosts_only(
    client: TestClient[Any], data_dir: Path, site: str
) -> None:
    page = f"{site}/post?id=7"
    refused = client.get("/og/acme?" + urlencode({"url": page}))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "host_not_allowed"
    asyncio.run(AllowedDomains(LocalStorage(str(data_dir))).allow("acme", "127.0.0.1"))
    # A fresh app would see it at once; this one's cache holds the old list a few seconds.
    deadline = time.monotonic() + 30
    while (r := client.get("/og/acme?" + urlencode({"url": page}))).status_code == 403:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    # The fragment is not part of the page's identity; its query string is.
    same = client.get("/og/acme?" + urlencode({"url": page + "#comments"}))
    assert same.headers["etag"] == r.headers["etag"]
    other = client.get("/og/acme?" + urlencode({"url": f"{site}/post?id=8"}))
    assert other.status_code == 200 and other.headers["etag"] != r.headers["etag"]
    # The same card as the Generate API for that page.
    gen = client.post(
        "/images/generate", json={"url": page}, headers={"x-api-key": make_key(data_dir, "acme")}
    )
    assert gen.json()["cached"] is True
    assert client.get(f"/i/{gen.json()['id']}").headers["etag"] == r.headers["etag"]
    for bad in ({"url": page, "extra": "1"}, {"url": "ftp://127.0.0.1/x"}, {}):
        assert client.get("/og/acme?" + urlencode(bad)).status_code in (400, 403)


CRAWLERS = [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "Mozilla/5.0 (compatible; Applebot/0.1; +http://www.apple.com/go/applebot)",
    "http.rb/5.1.1 (Mastodon/4.2.1; +https://mastodon.social/)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
]
BROWSER_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


@pytest.mark.parametrize("agent", CRAWLERS)
def test_every_crawler_gets_png_or_jpeg_even_when_it_accepts_webp(
    client: TestClient[Any], data_dir: Path, agent: str
) -> None:
    new_key(data_dir)
    url = sign(data_dir)
    r = client.get(url, headers={"user-agent": agent, "accept": BROWSER_ACCEPT})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] in ("image/png", "image/jpeg")


def test_a_browser_gets_avif_or_webp_with_vary_and_its_own_etag(
    client: TestClient[Any], data_dir: Path
) -> None:
    new_key(data_dir)
    url = sign(data_dir)
    png = client.get(url)
    assert png.headers["vary"] == "Accept"
    webp = client.get(url, headers={"accept": "image/webp,*/*"})
    assert webp.headers["content-type"] == "image/webp"
    assert webp.content[8:12] == b"WEBP"
    assert webp.headers["vary"] == "Accept"
    assert webp.headers["etag"] != png.headers["etag"]
    avif = client.get(url, headers={"accept": BROWSER_ACCEPT})
    assert avif.headers["content-type"] == "image/avif"
    assert (
        client.get(url, headers={"accept": "image/webp;q=0"}).headers["content-type"] == "image/png"
    )
    # 304 per rendering: the WebP's own validator.
    again = client.get(url, headers={"accept": "image/webp", "if-none-match": webp.headers["etag"]})
    assert again.status_code == 304
    slug = client.post(
        "/api/v2/render",
        json={"template": "blog", **FIELDS},
        headers={"x-api-key": make_key(data_dir, "acme")},
    ).json()["slug"]
    assert client.get(f"/i/{slug}", headers={"accept": "image/webp"}).content == webp.content


def test_the_sign_api_answers_a_url_the_server_accepts(
    client: TestClient[Any], data_dir: Path
) -> None:
    api_key = make_key(data_dir, "acme")
    body = {"template": "editorial", "title": "Signed through the API", "tag": "API"}
    assert client.post("/api/v2/sign", json=body).status_code == 401
    none_yet = client.post("/api/v2/sign", json=body, headers={"x-api-key": api_key})
    assert none_yet.status_code == 409 and none_yet.json()["error"]["code"] == "no_signing_key"
    new_key(data_dir)
    r = client.post(
        "/api/v2/sign",
        json={**body, "expires": int(time.time()) + 600},
        headers={"x-api-key": api_key},
    )
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    assert url.startswith("https://og.example.com/og/acme/editorial?") and "expires=" in url
    assert client.get(path_of(url)).status_code == 200
    for bad, status in (
        ({**body, "expires": int(time.time()) - 1}, 400),
        ({**body, "title": ""}, 400),
        ({**body, "template": "nope"}, 404),
        ({k: v for k, v in body.items() if k != "template"}, 400),
    ):
        assert (
            client.post("/api/v2/sign", json=bad, headers={"x-api-key": api_key}).status_code
            == status
        )


def test_dpr_travels_in_signed_and_page_urls(
    client: TestClient[Any], data_dir: Path, site: str
) -> None:
    secret = new_key(data_dir)
    sharp = client.get(sign(data_dir, dpr=2))
    assert sharp.status_code == 200, sharp.text
    assert png_size(sharp.content) == (2400, 1260)
    assert png_size(client.get(sign(data_dir)).content) == (1200, 630)
    for bad in ("3", "two", ""):
        url = path_of(signed_url("https://x", secret, "/og/acme/blog", {**FIELDS, "dpr": bad}))
        assert client.get(url).status_code == 400, bad
    asyncio.run(AllowedDomains(LocalStorage(str(data_dir))).allow("acme", "127.0.0.1"))
    page = {"url": f"{site}/sharp", "dpr": "2"}
    deadline = time.monotonic() + 30
    while (r := client.get("/og/acme?" + urlencode(page))).status_code == 403:
        assert time.monotonic() < deadline  # the allow-list cache of a few seconds
        time.sleep(0.1)
    assert r.status_code == 200 and png_size(r.content) == (2400, 1260)
    bad = client.get("/og/acme?" + urlencode({**page, "dpr": "3"}))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "dpr"
