"""POST /api/v2/render through the ASGI app: success, dedup, every client error, limits."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import config
from devkit.ogedge import png_bytes
from proxy import layout
from proxy.app import create_app
from proxy.keys import KeyRegistry
from proxy.records import etag_for
from proxy.storage import LocalStorage
from tests.unit.api.test_generate import png_size

CARD = {"template": "blog", "title": "Hello from the Render API", "tag": "Docs", "author": "Ada"}


def make_key(data_dir: Path, project: str, **kwargs: Any) -> str:
    async def create() -> str:
        secret, _ = await KeyRegistry(LocalStorage(str(data_dir))).create(project, **kwargs)
        return secret

    return asyncio.run(create())


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
            **state_env,
        }
    )
    app = create_app(settings)
    with TestClient(app) as tc:
        tc.ogedge = app  # type: ignore[attr-defined]
        yield tc


def post(tc: TestClient[Any], key: str | None, body: Any, header: str = "x-api-key") -> Any:
    headers = {}
    if key is not None:
        headers = (
            {"x-api-key": key} if header == "x-api-key" else {"authorization": f"Bearer {key}"}
        )
    return tc.post("/api/v2/render", json=body, headers=headers)


def test_new_render_is_201_and_the_url_is_warm(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    r = post(client, key, CARD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["success"] is True
    assert body["webhook_dispatched"] is False
    assert body["cached"] is False
    slug = body["slug"]
    assert len(slug) == 12
    assert body["url"] == f"https://og.example.com/i/{slug}"
    assert "data" not in body["url"] and "s3" not in r.text
    img = client.get(f"/i/{slug}")
    assert img.status_code == 200
    assert img.headers["content-type"] == "image/png"
    assert img.content.startswith(b"\x89PNG")


def test_repeat_is_200_cached_and_dedup_is_per_project(
    client: TestClient[Any], data_dir: Path
) -> None:
    a1, a2, b = make_key(data_dir, "acme"), make_key(data_dir, "acme"), make_key(data_dir, "other")
    first = post(client, a1, CARD).json()["slug"]
    again = post(
        client,
        a2,
        {
            **CARD,
            "webhookUrl": "https://hooks.example.com/x",
            "webhookSecret": "s3cret",
            "metadata": {"id": 7},
        },
        header="bearer",
    )
    assert again.status_code == 200
    assert again.json() == {
        "success": True,
        "slug": first,
        "url": f"https://og.example.com/i/{first}",
        "webhook_dispatched": True,
        "cached": True,
    }
    # Normalisation: the same card spelled differently is the same card.
    same = post(client, a1, {**CARD, "title": "  Hello from the Render API ", "tag": "Docs "})
    assert same.json()["slug"] == first
    assert post(client, b, CARD).json()["slug"] != first


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"x-api-key": "ogk_live_nope"}, 401), ({"authorization": "Basic abc"}, 401)],
)
def test_authentication(client: TestClient[Any], headers: dict[str, str], status: int) -> None:
    r = client.post("/api/v2/render", json=CARD, headers=headers)
    assert r.status_code == status
    assert r.json()["success"] is False
    assert r.json()["error"]["code"] in {"missing_api_key", "invalid_api_key"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**CARD, "title": "x" * 201}, 400, "title"),
        ({**CARD, "title": ""}, 400, "title"),
        ({**CARD, "description": "d" * 501}, 400, "description"),
        ({**CARD, "backgroundColor": "red-ish"}, 400, "backgroundColor"),
        ({**CARD, "kind": "poster"}, 400, "kind"),
        ({**CARD, "font": "Comic Sans"}, 400, "font"),
        ({**CARD, "palette": "neon"}, 400, "palette"),
        ({**CARD, "template": "nope"}, 404, "template"),
        ({k: v for k, v in CARD.items() if k != "template"}, 400, "template"),
        ({**CARD, "template": ""}, 400, "template"),
        ({**CARD, "template": "custom_../../x"}, 404, "template"),
        ({**CARD, "template": "custom_0123456789abcdef"}, 404, "template"),
        (
            {**CARD, "webhookUrl": "https://h.example.com/x", "webhookSecret": "s" * 101},
            400,
            "webhookSecret",
        ),
        ({**CARD, "avatar": "data:text/plain,hello"}, 400, "avatar"),
        ({**CARD, "avatar": "data:image/png;base64,!!!"}, 400, "avatar"),
        ({**CARD, "logo": "http://127.0.0.1/logo.png"}, 422, "logo"),
        ({**CARD, "logo": "http://169.254.169.254/latest/meta-data"}, 422, "logo"),
        ({**CARD, "logo": "ftp://example.com/logo.png"}, 422, "logo"),
    ],
)
def test_bad_fields_name_the_field(
    client: TestClient[Any], data_dir: Path, body: Any, status: int, field: str
) -> None:
    r = post(client, make_key(data_dir, "acme"), body)
    assert r.status_code == status, r.text
    assert r.json()["success"] is False
    assert r.json()["error"]["field"] == field


def test_bad_json_and_oversized_bodies(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    r = client.post("/api/v2/render", content=b"{not json", headers={"x-api-key": key})
    assert r.status_code == 400
    assert r.json()["success"] is False
    big = client.post(
        "/api/v2/render",
        content=b'{"title": "' + b"a" * 70_000 + b'"}',
        headers={"x-api-key": key, "content-type": "application/json"},
    )
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "payload_too_large"


def test_data_uri_avatar_is_stored_and_on_demand_render_reproduces_the_card(
    client: TestClient[Any], data_dir: Path
) -> None:
    avatar = "data:image/png;base64," + base64.b64encode(png_bytes(96, 96, block=8)).decode()
    r = post(client, make_key(data_dir, "acme"), {**CARD, "avatar": avatar})
    assert r.status_code == 201, r.text
    slug = r.json()["slug"]
    original = client.get(f"/i/{slug}").content

    async def delete() -> None:
        await LocalStorage(str(data_dir)).delete(layout.image(slug, "png"))

    asyncio.run(delete())
    client.ogedge.litestar.state.services.catalog.forget(slug)  # type: ignore[attr-defined]
    again = client.get(f"/i/{slug}")
    assert again.status_code == 200
    assert again.content == original  # same spec, same stored avatar: the same bytes
    assert again.headers["etag"] == etag_for(original)


def test_monthly_quota_counts_new_renders_only(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "small", monthly_quota=2)
    assert post(client, key, {**CARD, "title": "one"}).status_code == 201
    assert post(client, key, {**CARD, "title": "one"}).status_code == 200  # dedup is free
    assert post(client, key, {**CARD, "title": "two"}).status_code == 201
    r = post(client, key, {**CARD, "title": "three"})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "quota_exceeded"
    assert "monthly quota" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1
    assert post(client, key, {**CARD, "title": "two"}).status_code == 200  # still served


def test_per_key_rate_limit(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme", rate=0.1, burst=2)
    codes = [post(client, key, CARD).status_code for _ in range(3)]
    assert codes[:2] == [201, 200]
    assert codes[2] == 429
    r = post(client, key, CARD)
    assert r.json()["error"]["code"] == "rate_limited"
    assert "rate limit" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"webhookUrl": "http://hooks.example.com/x", "webhookSecret": "s"}, "webhookUrl"),
        ({"webhookUrl": "https://user:pw@hooks.example.com/x", "webhookSecret": "s"}, "webhookUrl"),
        ({"webhookUrl": "https://10.0.0.5/hook", "webhookSecret": "s"}, "webhookUrl"),
        ({"webhookUrl": "https://hooks.example.com/x"}, "webhookSecret"),
        (
            {"webhookUrl": "https://hooks.example.com/x", "webhookSecret": "whsec_!!"},
            "webhookSecret",
        ),
    ],
)
def test_bad_webhooks_are_400_before_any_work(
    client: TestClient[Any], data_dir: Path, extra: dict[str, str], field: str
) -> None:
    r = post(client, make_key(data_dir, "acme", monthly_quota=1), {**CARD, **extra})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field
    # Nothing was rendered or counted: the one-render quota is still there.
    assert post(client, make_key(data_dir, "acme"), CARD).status_code == 201


def test_dpr_2_is_its_own_card_at_twice_the_size(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    plain = post(client, key, CARD).json()
    sharp = post(client, key, {**CARD, "dpr": 2})
    assert sharp.status_code == 201, sharp.text
    assert sharp.json()["slug"] != plain["slug"]
    assert post(client, key, {**CARD, "dpr": 1}).json()["slug"] == plain["slug"]  # the default
    assert png_size(client.get(f"/i/{sharp.json()['slug']}").content) == (2400, 1260)
    for bad in (3, 0, 1.5, "twice"):
        r = post(client, key, {**CARD, "dpr": bad})
        assert r.status_code == 400 and r.json()["error"]["field"] == "dpr", (bad, r.text)
