"""GET /api/v2/check through the ASGI app, checking pages of a local site."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from devkit.ogedge import png_bytes
from tests.support.site import Site, page
from tests.unit.api.test_generate import app_client, make_key

GOOD = page(
    '<meta property="og:title" content="Faster cards">',
    '<meta property="og:description" content="How we render cards.">',
    '<meta property="og:image" content="/og.png">',
    '<meta property="og:url" content="/post">',
    '<meta property="og:type" content="article">',
    '<meta name="twitter:card" content="summary_large_image">',
)


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site().start()
    running.add("/post", GOOD)
    running.add("/og.png", png_bytes(1200, 630), "image/png")
    running.add("/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")
    yield running
    running.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    with app_client(data_dir, True, state_env) as tc:
        yield tc


def check(tc: TestClient[Any], url: str, key: str | None) -> Any:
    headers = {"x-api-key": key} if key else {}
    return tc.get("/api/v2/check", params={"url": url}, headers=headers)


def test_check_answers_the_report(client: TestClient[Any], data_dir: Path, site: Site) -> None:
    key = make_key(data_dir, "acme")
    r = check(client, site.url("/post"), key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"url", "final_url", "status", "robots", "images", "platforms"}
    assert body["status"] == "ok"
    assert body["robots"]["state"] == "found"
    assert [p["id"] for p in body["platforms"]][:3] == ["facebook", "x", "linkedin"]
    x = body["platforms"][1]
    assert x["shows"] == {
        "title": "Faster cards",
        "description": "How we render cards.",
        "image": site.url("/og.png"),
        "card": "summary_large_image",
    }
    assert {"level", "code", "message"} == set(x["findings"][0])


def test_a_failing_page_is_still_a_200(client: TestClient[Any], data_dir: Path, site: Site) -> None:
    site.add("/bare", page())
    r = check(client, site.url("/bare"), make_key(data_dir, "acme"))
    assert r.status_code == 200  # the check worked; the page fails it
    assert r.json()["status"] == "fail"


def test_no_key_no_fetch(client: TestClient[Any], site: Site) -> None:
    r = check(client, site.url("/post"), None)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "missing_api_key"
    assert site.hits["/post"] == 0  # not an open proxy: nothing fetched for a stranger


def test_bad_urls(client: TestClient[Any], data_dir: Path, site: Site) -> None:
    key = make_key(data_dir, "acme")
    r = check(client, "ftp://example.com/file", key)
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "url"
    missing = client.get("/api/v2/check", headers={"x-api-key": key})
    assert missing.status_code == 400
    unusable = check(client, site.url("/nowhere"), key)
    assert unusable.status_code == 422
    assert unusable.json()["error"] == {
        "code": "unusable_page",
        "message": "the page answered HTTP 404",
        "field": "url",
    }


def test_the_key_limit_applies(client: TestClient[Any], data_dir: Path, site: Site) -> None:
    key = make_key(data_dir, "acme", rate=0.01, burst=1)
    assert check(client, site.url("/post"), key).status_code == 200
    limited = check(client, site.url("/post"), key)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert site.hits["/post"] == 1  # the limited request fetched nothing


def test_private_addresses_are_refused_in_production(
    data_dir: Path, state_env: dict[str, str], site: Site
) -> None:
    with app_client(data_dir, False, state_env) as tc:
        r = check(tc, site.url("/post"), make_key(data_dir, "acme"))
    assert r.status_code == 422
    assert "non-public address" in r.json()["error"]["message"]
    assert site.hits["/post"] == 0


def test_openapi_documents_the_endpoint(client: TestClient[Any]) -> None:
    doc = client.get("/schema/openapi.json").json()
    op = doc["paths"]["/api/v2/check"]["get"]
    assert set(op["responses"]) >= {"200", "400", "401", "422", "429", "503"}
    assert [p["name"] for p in op["parameters"]] == ["url"]
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    props = doc["components"]["schemas"][ok]["properties"]
    assert {"url", "final_url", "status", "robots", "images", "platforms"} <= set(props)
