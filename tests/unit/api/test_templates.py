"""Templates API: built-ins, uploads validated with errors naming the key, per-project scope,
rendering with a custom template, previews, deletion."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import config
from proxy import layout
from proxy.app import create_app
from proxy.keys import KeyRegistry
from proxy.storage import LocalStorage

ROOT = Path(__file__).parents[3]
MINIMAL = (ROOT / "templates" / "minimal.toml").read_text()


EXTRA_TEXT = '\n[[layers]]\nid = "extra"\ntype = "text"\nfield = "title"\nbox = [120, 0, 960, 30]\n'


def make_key(data_dir: Path, project: str) -> str:
    async def create() -> str:
        return (await KeyRegistry(LocalStorage(str(data_dir))).create(project))[0]

    return asyncio.run(create())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    settings = config.load(
        {"OGEDGE_DATA_DIR": str(data_dir), "OGEDGE_PUBLIC_URL": "https://og.test", **state_env}
    )
    app = create_app(settings)
    with TestClient(app) as tc:
        tc.ogedge = app  # type: ignore[attr-defined]
        yield tc


def test_list_has_builtins_palettes_fonts_and_previews(
    client: TestClient[Any], data_dir: Path
) -> None:
    r = client.get("/api/v2/templates", headers={"x-api-key": make_key(data_dir, "acme")})
    assert r.status_code == 200
    body = r.json()
    ids = {t["id"] for t in body["templates"]}
    assert {"blog", "editorial", "minimal", "docs", "product", "event", "quote", "release"} <= ids
    blog = next(t for t in body["templates"] if t["id"] == "blog")
    assert blog["kinds"] == ["og", "twitter", "linkedin", "square"]
    assert "title" in blog["fields"]
    assert blog["custom"] is False
    assert blog["previewUrl"] == "https://og.test/api/v2/templates/blog/preview.png"
    assert len(body["palettes"]) >= 8
    assert body["fonts"]
    preview = client.get("/api/v2/templates/blog/preview.png?kind=square")
    assert preview.status_code == 200
    assert preview.headers["content-type"] == "image/png"
    assert preview.content.startswith(b"\x89PNG")
    assert client.get("/api/v2/templates/nope/preview.png").status_code == 404
    assert client.get("/api/v2/templates/blog/preview.png?kind=poster").status_code == 400
    assert client.get("/api/v2/templates").status_code == 401


def test_upload_render_scope_and_delete(client: TestClient[Any], data_dir: Path) -> None:
    acme, other = make_key(data_dir, "acme"), make_key(data_dir, "other")
    up = client.post(
        "/api/v2/templates",
        json={"toml": MINIMAL, "title": "Our minimal"},
        headers={"x-api-key": acme},
    )
    assert up.status_code == 201, up.text
    tid = up.json()["template"]["id"]
    assert tid.startswith("custom_")
    assert up.json()["template"]["title"] == "Our minimal"
    assert up.json()["template"]["custom"] is True
    # Listed and readable for its project only.
    listed = client.get("/api/v2/templates", headers={"x-api-key": acme}).json()["templates"]
    assert tid in {t["id"] for t in listed}
    assert (
        client.get(f"/api/v2/templates/{tid}", headers={"x-api-key": acme}).json()["template"][
            "toml"
        ]
        == MINIMAL
    )
    assert client.get(f"/api/v2/templates/{tid}", headers={"x-api-key": other}).status_code == 404
    theirs = client.get("/api/v2/templates", headers={"x-api-key": other}).json()["templates"]
    assert tid not in {t["id"] for t in theirs}
    assert client.get(f"/api/v2/templates/{tid}/preview.png").status_code == 200

    card = {"template": tid, "title": "Made with our own template"}
    made = client.post("/api/v2/render", json=card, headers={"x-api-key": acme})
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]
    original = client.get(f"/i/{slug}").content
    refused = client.post("/api/v2/render", json=card, headers={"x-api-key": other})
    assert refused.status_code == 404
    assert refused.json()["error"]["field"] == "template"

    assert (
        client.delete(f"/api/v2/templates/{tid}", headers={"x-api-key": other}).status_code == 404
    )
    assert client.delete(f"/api/v2/templates/{tid}", headers={"x-api-key": acme}).status_code == 204
    assert client.get(f"/api/v2/templates/{tid}", headers={"x-api-key": acme}).status_code == 404
    gone = client.post("/api/v2/render", json={**card, "title": "new"}, headers={"x-api-key": acme})
    assert gone.status_code == 404
    assert gone.json()["error"]["field"] == "template"
    # Cards made with it keep serving, even when their image must be rendered again.
    asyncio.run(LocalStorage(str(data_dir)).delete(layout.image(slug, "png")))
    client.ogedge.litestar.state.services.catalog.forget(slug)  # type: ignore[attr-defined]
    again = client.get(f"/i/{slug}")
    assert again.status_code == 200
    assert again.content == original


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("this is = not [toml", "not valid TOML"),
        (MINIMAL.replace('palette = "', 'palette = "nope-', 1), "palette"),
        (
            MINIMAL + '\n[[layers]]\nid = "extra"\ntype = "text"\nfield = "title"\nbox = "wide"\n',
            "box",
        ),
        # Tables of the wrong shape, and values the text engine cannot take: each was a 500.
        ("palette = 3\n" + MINIMAL.replace('palette = "mono"\n', ""), "palette"),
        ("layers = 'x'\n" + MINIMAL.split("[[layers]]")[0], "layers"),
        (MINIMAL.replace("[stacks.main]", "[stacks]\nmain = 3\n[unused]", 1), "stacks.main"),
        (MINIMAL + "\n[kinds]\nog = 3\n", "kinds"),
        (MINIMAL + "\n[kinds.twitter]\nlayers = 5\n", "kinds.twitter.layers"),
        (
            MINIMAL.replace("[stacks.main]\nbox = [120, 70, 960, 420]", "[stacks.main]\nbox = []"),
            "box",
        ),
        (MINIMAL.replace('field = "tag"', 'field = ["tag"]', 1), "id"),
        (MINIMAL + EXTRA_TEXT + "weight = -5\n", "weight"),
        (MINIMAL + EXTRA_TEXT + "letter_spacing = 1e9\n", "letter_spacing"),
        (MINIMAL + EXTRA_TEXT + "opacity = nan\n", "opacity"),
        (MINIMAL + EXTRA_TEXT + "size = 100000\n", "size"),
        (MINIMAL.replace("box = [120, 0, 960, 30]", "box = [120, 0, nan, 30]", 1), "box"),
    ],
)
def test_invalid_uploads_name_the_problem(
    client: TestClient[Any], data_dir: Path, toml: str, needle: str
) -> None:
    r = client.post(
        "/api/v2/templates", json={"toml": toml}, headers={"x-api-key": make_key(data_dir, "acme")}
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == "toml"
    assert needle in r.json()["error"]["message"]


def test_builtins_cannot_be_deleted(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    assert client.delete("/api/v2/templates/blog", headers={"x-api-key": key}).status_code == 403
    assert (
        client.delete(
            "/api/v2/templates/custom_0000000000000000", headers={"x-api-key": key}
        ).status_code
        == 404
    )
