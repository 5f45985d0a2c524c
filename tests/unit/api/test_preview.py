"""POST /api/v2/preview: renders without storing or counting, reports the layout, names a
draft's faulty key and line, takes images only as data: URIs, and is limited per client IP;
the gallery's sample cards."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pyvips
from litestar.testing import TestClient

import config
import renderer
from proxy.app import create_app
from tests.unit.api.test_templates import make_key

ROOT = Path(__file__).parents[3]
BLOG = (ROOT / "templates" / "blog.toml").read_text()
PNG = pyvips.Image.black(8, 8).pngsave_buffer()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def app_client(data_dir: Path, state_env: dict[str, str], **env: str) -> TestClient[Any]:
    settings = config.load({"OGEDGE_DATA_DIR": str(data_dir), **state_env, **env})
    return TestClient(create_app(settings))


@pytest.fixture
def client(data_dir: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    with app_client(data_dir, state_env) as tc:
        yield tc


def decode(uri: str) -> pyvips.Image:
    head, _, data = uri.partition(",")
    assert head.startswith("data:image/") and head.endswith(";base64")
    return pyvips.Image.new_from_buffer(base64.b64decode(data), "")


def test_a_preview_answers_the_image_and_the_layout_and_stores_nothing(
    client: TestClient[Any], data_dir: Path
) -> None:
    r = client.post(
        "/api/v2/preview",
        json={"template": "blog", "title": "Hello preview", "kind": "square", "tag": "News"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"], body["kind"], body["mediaType"]) == (
        1080,
        1080,
        "square",
        "image/png",
    )
    assert body["palette"] == "midnight" and body["font"]
    image = decode(body["image"])
    assert (image.width, image.height) == (1080, 1080)
    assert body["bytes"] == len(base64.b64decode(body["image"].partition(",")[2]))
    title = next(layer for layer in body["layers"] if layer["id"] == "title")
    assert title["fontSize"] > 0 and title["lines"] == 1 and title["truncated"] is False
    assert title["text"] == "Hello preview" and title["missingGlyphs"] == ""
    assert not (data_dir / "specs").exists()  # nothing stored, so no quota was touched either


def test_truncation_and_missing_glyphs_are_reported(client: TestClient[Any]) -> None:
    tofu = next(
        chr(c)
        for c in range(0x0860, 0x3000)
        if renderer.missing_glyphs(chr(c)) and chr(c).isprintable()
    )
    long = " ".join(["An extraordinarily long headline that keeps going"] * 4)
    r = client.post("/api/v2/preview", json={"title": long[:190], "tag": f"Tag {tofu}"})
    assert r.status_code == 200, r.text
    layers = {layer["id"]: layer for layer in r.json()["layers"]}
    assert layers["title"]["truncated"] is True
    assert layers["title"]["lines"] >= 2
    assert layers["tag"]["missingGlyphs"] == tofu


def test_a_draft_renders_and_its_error_names_the_key_and_line(client: TestClient[Any]) -> None:
    ok = client.post("/api/v2/preview", json={"title": "Draft", "toml": BLOG})
    assert ok.status_code == 200, ok.text
    assert ok.json()["template"] == "draft"
    bad = BLOG.replace("size = 62", 'size = "big"')
    r = client.post("/api/v2/preview", json={"title": "Draft", "toml": bad})
    assert r.status_code == 400
    error = r.json()["error"]
    assert (error["code"], error["field"], error["path"]) == (
        "invalid_template",
        "toml",
        "layers[title].size",
    )
    assert bad.splitlines()[error["line"] - 1] == 'size = "big"'
    assert "kind og: layer 'title': key 'size'" in error["message"]
    syntax = client.post("/api/v2/preview", json={"title": "x", "toml": 'name = "x"\n[output\n'})
    assert syntax.json()["error"]["line"] == 2
    layer = (
        '\n[[layers]]\ntype = "shape"\nshape = "rect"\nbox = [0, 0, 10, 10]\ncolor = "$accent"\n'
    )
    heavy = client.post("/api/v2/preview", json={"title": "x", "toml": BLOG + layer * 60})
    assert heavy.status_code == 400
    assert heavy.json()["error"]["path"] == "layers"


def test_images_come_as_data_uris_only(client: TestClient[Any]) -> None:
    uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    r = client.post(
        "/api/v2/preview", json={"title": "Logo", "logo": uri, "author": "A", "avatar": uri}
    )
    assert r.status_code == 200, r.text
    url = client.post("/api/v2/preview", json={"title": "x", "logo": "https://example.com/a.png"})
    assert url.status_code == 400
    assert url.json()["error"]["field"] == "logo"


def test_custom_templates_need_their_projects_key(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    up = client.post("/api/v2/templates", json={"toml": BLOG}, headers={"x-api-key": key})
    tid = up.json()["template"]["id"]
    anonymous = client.post("/api/v2/preview", json={"title": "x", "template": tid})
    assert anonymous.status_code == 401
    mine = client.post(
        "/api/v2/preview", json={"title": "x", "template": tid}, headers={"x-api-key": key}
    )
    assert mine.status_code == 200, mine.text
    other = make_key(data_dir, "other")
    theirs = client.post(
        "/api/v2/preview", json={"title": "x", "template": tid}, headers={"x-api-key": other}
    )
    assert theirs.status_code == 404


def test_previews_are_limited_per_client_ip(data_dir: Path, state_env: dict[str, str]) -> None:
    env = {"OGEDGE_PREVIEW_RATE": "0.01", "OGEDGE_PREVIEW_BURST": "2"}
    with app_client(data_dir, state_env, **env) as tc:
        answers = [tc.post("/api/v2/preview", json={"title": "x"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[-1]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["ratelimit-limit"] == "2"


def test_samples_are_webp_cached_and_checked(client: TestClient[Any]) -> None:
    r = client.get("/api/v2/templates/hero/sample.webp?palette=ocean&kind=twitter&width=320&v=1")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/webp"
    assert "immutable" in r.headers["cache-control"]
    image = pyvips.Image.new_from_buffer(r.content, "")
    assert (image.width, image.height) == (320, 160)
    again = client.get("/api/v2/templates/hero/sample.webp?palette=ocean&kind=twitter&width=320")
    assert again.content == r.content and "immutable" not in again.headers["cache-control"]
    assert client.get("/api/v2/templates/hero/sample.webp?palette=nope").status_code == 400
    assert (
        client.get("/api/v2/templates/hero/sample.webp?palette=ocean&width=99").status_code == 400
    )
    assert client.get("/api/v2/templates/nope/sample.webp?palette=ocean").status_code == 404
