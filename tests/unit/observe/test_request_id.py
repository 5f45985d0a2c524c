"""Request ids (header in, header out, contextvar for logs), JSON log lines, and /metrics
through the whole ASGI app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from litestar.testing import TestClient
from prometheus_client import REGISTRY

import config
from devkit.ogedge import png_bytes, seed
from proxy.app import create_app
from proxy.observe.logs import JsonFormatter
from proxy.observe.request_id import REQUEST_ID, from_headers, new_id

SLUG = "AbCdEfGh1234"


def test_new_ids_are_short_and_distinct() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 16 for i in ids)


@pytest.mark.parametrize("given", [b"abc-123", b"7f3a.b_c:d", b"A" * 64])
def test_well_formed_incoming_id_is_kept(given: bytes) -> None:
    assert from_headers([(b"host", b"x"), (b"x-request-id", given)]) == given.decode()


@pytest.mark.parametrize(
    "given", [b"", b"has space", b"a\r\nset-cookie: x", b"A" * 65, b"\xff\xfe", b'{"json":1}']
)
def test_malformed_incoming_id_is_replaced(given: bytes) -> None:
    rid = from_headers([(b"x-request-id", given)])
    assert rid != given.decode("latin-1")
    assert len(rid) == 16


def test_json_formatter_has_request_id_and_extras() -> None:
    record = logging.LogRecord("ogedge.x", logging.WARNING, __file__, 1, "hi %s", ("there",), None)
    record.slug = "abc"
    token = REQUEST_ID.set("rid-1")
    try:
        line = JsonFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    entry = orjson.loads(line)
    assert entry["msg"] == "hi there"
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "ogedge.x"
    assert entry["request_id"] == "rid-1"
    assert entry["slug"] == "abc"
    assert "ts" in entry
    assert "\n" not in line


@pytest.fixture
def client(tmp_path: Path, state_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    settings = config.load(
        {
            "OGEDGE_DATA_DIR": str(tmp_path),
            "OGEDGE_IMAGE_RATE": "1",
            "OGEDGE_IMAGE_BURST": "3",
            **state_env,
        }
    )
    asyncio.run(seed(settings, SLUG, png_bytes()))
    with TestClient(create_app(settings)) as tc:
        yield tc


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_response_has_a_request_id(client: TestClient[Any]) -> None:
    for path in (f"/i/{SLUG}", "/i/nope", "/healthz", "/metrics", "/no-such-page"):
        r = client.get(path)
        assert len(r.headers["x-request-id"]) == 16, path
    r = client.get(f"/i/{SLUG}", headers={"x-request-id": "from-the-edge-42"})
    assert r.headers["x-request-id"] == "from-the-edge-42"
    r = client.get("/healthz", headers={"x-request-id": "bad id"})
    assert r.headers["x-request-id"] != "bad id"
    assert r.headers.get_list("x-request-id") == [r.headers["x-request-id"]]


def test_hot_path_counts_sources_and_statuses(client: TestClient[Any]) -> None:
    hot = _value("ogedge_image_source_total", source="hot_cache")
    storage = _value("ogedge_image_source_total", source="storage")
    ok = _value("ogedge_requests_total", route="image", status="200")
    limited = _value("ogedge_rate_limited_total", route="image")
    for _ in range(3):
        assert client.get(f"/i/{SLUG}").status_code == 200
    assert client.get(f"/i/{SLUG}").status_code == 429  # burst 3
    assert client.get("/metrics").status_code == 200  # a scrape folds the batched counts in
    assert _value("ogedge_image_source_total", source="storage") == storage + 1
    assert _value("ogedge_image_source_total", source="hot_cache") == hot + 2
    assert _value("ogedge_requests_total", route="image", status="200") == ok + 3
    assert _value("ogedge_rate_limited_total", route="image") == limited + 1


def test_metrics_is_not_rate_limited_nor_an_image(client: TestClient[Any]) -> None:
    images = sum(_value("ogedge_requests_total", route="image", status=s) for s in ("200", "429"))
    for _ in range(10):
        r = client.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        assert "ogedge_requests_total" in r.text
        assert "ogedge_redis_breaker_state 0.0" in r.text
    after = sum(_value("ogedge_requests_total", route="image", status=s) for s in ("200", "429"))
    assert after == images
