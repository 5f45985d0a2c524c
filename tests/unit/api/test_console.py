"""The console's endpoints: a project's cards newest first and paged, its usage, its webhook
deliveries; all behind the project's key."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import config
from proxy.app import create_app
from tests.unit.api.test_templates import make_key
from tests.unit.webhooks.conftest import HANG_GUARD


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


@pytest.fixture
def client(data_dir: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    settings = config.load(
        {"OGEDGE_DATA_DIR": str(data_dir), "OGEDGE_PUBLIC_URL": "https://og.test", **state_env}
    )
    with TestClient(create_app(settings)) as tc:
        yield tc


def render(client: TestClient[Any], key: str, status: int = 201, **fields: Any) -> dict[str, Any]:
    body = {"template": "blog", **fields}
    r = client.post("/api/v2/render", json=body, headers={"x-api-key": key})
    assert r.status_code == status, r.text
    return dict(r.json())


def test_cards_are_listed_newest_first_and_paged(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    other = make_key(data_dir, "other")
    first = render(client, key, title="First card")
    second = render(client, key, title="Second card", template="quote", kind="square")
    render(client, other, title="Someone else's")
    h = {"x-api-key": key}
    page = client.get("/api/v2/cards", headers=h).json()
    assert [c["slug"] for c in page["cards"]] == [second["slug"], first["slug"]]
    assert page["next"] is None
    top = page["cards"][0]
    assert (top["template"], top["kind"], top["format"], top["title"]) == (
        "quote",
        "square",
        "png",
        "Second card",
    )
    assert top["url"] == f"https://og.test/i/{second['slug']}"
    assert top["size"] > 1000 and top["created"] > 0
    one = client.get("/api/v2/cards?limit=1", headers=h).json()
    assert [c["slug"] for c in one["cards"]] == [second["slug"]] and one["next"]
    rest = client.get("/api/v2/cards", params={"limit": 1, "startAfter": one["next"]}, headers=h)
    assert [c["slug"] for c in rest.json()["cards"]] == [first["slug"]]
    assert rest.json()["next"] is None
    assert client.get("/api/v2/cards?limit=500", headers=h).status_code == 400
    assert client.get("/api/v2/cards?startAfter=../x", headers=h).status_code == 400
    assert client.get("/api/v2/cards").status_code == 401


def test_usage_counts_renders_against_the_quota(client: TestClient[Any], data_dir: Path) -> None:
    key = make_key(data_dir, "acme")
    render(client, key, title="One")
    render(client, key, 200, title="One")  # a repeat is cached: not counted
    render(client, key, title="Two")
    usage = client.get("/api/v2/usage", headers={"x-api-key": key}).json()["usage"]
    assert (usage["project"], usage["used"], usage["quota"]) == ("acme", 2, 0)
    assert usage["keyId"].startswith("key_") and usage["rate"] > 0 and usage["burst"] >= 1
    assert len(usage["month"]) == 7 and usage["renewsIn"] > 0


def wait_for(client: TestClient[Any], key: str, check: Any) -> list[dict[str, Any]]:
    """The project's deliveries once `check(deliveries)` holds (the dispatcher runs in the app)."""
    deadline = time.monotonic() + HANG_GUARD
    while True:
        deliveries = client.get("/api/v2/webhooks/deliveries", headers={"x-api-key": key}).json()[
            "deliveries"
        ]
        if check(deliveries):
            return list(deliveries)
        assert time.monotonic() < deadline, f"gave up waiting; last saw {deliveries}"
        time.sleep(0.02)


def test_deliveries_are_the_projects_and_a_dead_one_is_resent(
    client: TestClient[Any], data_dir: Path
) -> None:
    key = make_key(data_dir, "acme")
    # A name that resolves to loopback: accepted now, refused at delivery (dead at once).
    card = render(
        client, key, title="Hooked", webhookUrl="https://localhost/hook", webhookSecret="s"
    )
    (dead,) = wait_for(client, key, lambda ds: ds and ds[0]["status"] == "dead")
    assert (dead["slug"], dead["event"], dead["attempts"]) == (card["slug"], "render.completed", 1)
    assert dead["id"].startswith("msg_") and dead["url"] == "https://localhost/hook"
    assert dead["lastError"] and "secret" not in dead and "payload" not in dead
    other = make_key(data_dir, "other")
    theirs = client.get("/api/v2/webhooks/deliveries", headers={"x-api-key": other}).json()
    assert theirs == {"success": True, "deliveries": []}
    resend = f"/api/v2/webhooks/deliveries/{dead['id']}/resend"
    assert client.post(resend, headers={"x-api-key": other}).status_code == 404
    again = client.post(resend, headers={"x-api-key": key})
    assert again.status_code == 202, again.text
    queued = again.json()["delivery"]
    assert (queued["id"], queued["status"], queued["resends"]) == (dead["id"], "pending", 1)
    (died,) = wait_for(client, key, lambda ds: ds[0]["status"] == "dead" and ds[0]["resends"])
    assert died["id"] == dead["id"]  # the same webhook-id, attempted again
    assert (
        client.post(
            "/api/v2/webhooks/deliveries/msg_x/resend", headers={"x-api-key": key}
        ).status_code
        == 404
    )
