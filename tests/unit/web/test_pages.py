"""The web front end's pages and static files, and /schema's docs: everything from ogedge
itself (no other host in any src or href), cached by content hash, compressed, package data."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import config
import renderer
from proxy.app import create_app
from proxy.web import STATIC

ROOT = Path(__file__).parents[3]
# Every URL a page loads: src/href attributes, and CSS url(...).
_URLS = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)""")


@pytest.fixture
def client(tmp_path: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    settings = config.load({"OGEDGE_DATA_DIR": str(tmp_path), **state_env})
    with TestClient(create_app(settings)) as tc:
        yield tc


def loaded(html: str) -> list[str]:
    return [a or b for a, b in _URLS.findall(html)]


@pytest.mark.parametrize("path", ["/", "/?kind=square", "/playground", "/editor", "/console"])
def test_pages_load_only_from_this_server(client: TestClient[Any], path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    urls = loaded(r.text)
    assert urls
    for url in urls:
        assert url.startswith(("/", "#")), url  # same origin: no scheme, no other host


def test_the_gallery_shows_every_template_in_every_palette(client: TestClient[Any]) -> None:
    html = client.get("/?kind=linkedin").text
    for name in renderer.available_templates():
        assert f'data-template="{name}"' in html
        for palette in renderer.available_palettes():
            assert (
                f"/api/v2/templates/{name}/sample.webp?palette={palette}&amp;kind=linkedin" in html
            )
        for field in renderer.template_info(name).fields:
            assert f"<li>{field}</li>" in html
    # Every image has its box reserved (width, height and the frame's aspect ratio).
    images = re.findall(r"<img [^>]*>", html)
    assert images and all('width="1200" height="627"' in tag for tag in images)
    assert html.count("aspect-ratio:1200/627") == len(images)


def test_pages_are_compressed_and_revalidated(client: TestClient[Any]) -> None:
    plain = client.get("/", headers={"accept-encoding": "identity"})
    packed = client.get("/", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["cache-control"] == "no-cache"
    again = client.get(
        "/", headers={"accept-encoding": "identity", "if-none-match": plain.headers["etag"]}
    )
    assert again.status_code == 304


def test_static_files_are_immutable_under_their_hash(client: TestClient[Any]) -> None:
    url = STATIC.url_for("app.js")
    r = client.get(url, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["content-encoding"] == "gzip"
    assert (
        client.get(
            url, headers={"if-none-match": r.headers["etag"], "accept-encoding": "gzip"}
        ).status_code
        == 304
    )
    stale = client.get("/static/000000000000/app.js")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert client.get("/static/000000000000/nope.js").status_code == 404
    assert client.get("/static/000000000000/../pages.py").status_code == 404
    assert client.get("/static/x/vendor/swagger-ui/LICENSE").status_code == 404  # not served


def test_schema_docs_load_from_this_server(client: TestClient[Any]) -> None:
    r = client.get("/schema")
    assert r.status_code == 200
    urls = loaded(r.text)
    assert any("swagger-ui-bundle.js" in u for u in urls)
    assert all(u.startswith("/") for u in urls), urls
    assert "validatorUrl: null" in r.text
    assert (
        "http://" not in r.text.split("<body", 1)[0]
        and "https://" not in r.text.split("<body", 1)[0]
    )
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert client.get("/schema/openapi.json").status_code == 200


def test_every_static_file_ships_in_the_wheel() -> None:
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["proxy.web"]
    web = ROOT / "proxy" / "web"
    shipped = {p for g in globs for p in web.glob(g) if p.is_file()}
    wanted = {p for p in (web / "static").rglob("*") if p.is_file()} | set(
        (web / "pages").glob("*.html")
    )
    assert wanted <= shipped, sorted(str(p) for p in wanted - shipped)
