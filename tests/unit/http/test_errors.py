"""Every error -> HTTP in one place: the table of domain errors, and an unexpected exception
answered 500 and logged once, with its traceback and the request id."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest
from litestar.testing import TestClient

import config
import renderer
from proxy.app import create_app
from proxy.cards import Cards
from proxy.catalog import Catalog
from proxy.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    Limited,
    NotFound,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unusable,
)
from proxy.http.errors import describe
from proxy.observe.logs import JsonFormatter
from proxy.quotas import QuotaExceeded
from proxy.render_pool import RenderBusy
from proxy.state import StateUnavailable
from proxy.storage.base import InvalidKey, StorageUnavailable
from proxy.storage.documents import CorruptDocument


@pytest.mark.parametrize(
    ("exc", "status", "code", "headers"),
    [
        (InvalidInput("bad", "title"), 400, "invalid_field", {}),
        (
            Unauthenticated("who"),
            401,
            "unauthorized",
            {"WWW-Authenticate": 'Bearer realm="ogedge"'},
        ),
        (Forbidden("no"), 403, "forbidden", {}),
        (NotFound("gone"), 404, "not_found", {}),
        (Conflict("again"), 409, "conflict", {}),
        (TooLarge("big"), 413, "payload_too_large", {}),
        (Unusable("meh", "logo"), 422, "unusable", {}),
        (Limited("slow down", retry_after=7), 429, "rate_limited", {"Retry-After": "7"}),
        (QuotaExceeded(5, 3600), 429, "quota_exceeded", {"Retry-After": "3600"}),
        (Unavailable("later", retry_after=4), 503, "unavailable", {"Retry-After": "4"}),
        (StateUnavailable(), 503, "unavailable", {"Retry-After": "2"}),
        (StorageUnavailable("s3 down"), 503, "storage_unavailable", {"Retry-After": "2"}),
        (RenderBusy("full"), 503, "render_busy", {"Retry-After": "1"}),
        (CorruptDocument("x"), 503, "storage_unavailable", {"Retry-After": "30"}),
        (InvalidKey("../x"), 404, "not_found", {}),
        (renderer.SpecError("title", "must not be empty"), 400, "invalid_field", {}),
        (renderer.TemplateNotFound("template", "no"), 404, "template_not_found", {}),
        (renderer.AssetError("logo", "not an image"), 422, "unusable_asset", {}),
        (RecursionError(), 400, "invalid_json", {}),
    ],
)
def test_each_error_has_one_answer(
    exc: BaseException, status: int, code: str, headers: dict[str, str]
) -> None:
    answer = describe(exc)
    assert answer.status == status
    body = orjson.loads(answer.body)
    assert body["success"] is False and body["error"]["code"] == code
    assert dict(answer.headers) == headers


def test_a_limit_keeps_its_ratelimit_fields_and_one_retry_after() -> None:
    exc = Limited("over", retry_after=3, headers=[("retry-after", "3"), ("ratelimit-limit", "5")])
    assert describe(exc).headers == [("Retry-After", "3"), ("ratelimit-limit", "5")]


class Lines(logging.Handler):
    """Formats at emit time, as the production handler does (the request id is a contextvar)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(self.format(record)))


def test_an_unexpected_exception_is_a_500_logged_once_with_traceback_and_request_id(
    tmp_path: Path,
    state_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.unit.api.test_render import CARD, make_key

    async def broken(self: Cards, slug: str) -> None:
        raise ZeroDivisionError("a bug deep inside")

    monkeypatch.setattr(Cards, "existing", broken)  # failure injection: a real bug
    settings = config.load({"OGEDGE_DATA_DIR": str(tmp_path), **state_env})
    key = make_key(tmp_path, "acme")
    lines = Lines()
    with TestClient(create_app(settings), raise_server_exceptions=False) as tc:
        # Added once the app is built: Litestar installs its own root handlers then.
        logging.getLogger().addHandler(lines)
        r = tc.post(
            "/api/v2/render", json=CARD, headers={"x-api-key": key, "x-request-id": "req-abc-1"}
        )
    logging.getLogger().removeHandler(lines)
    assert r.status_code == 500
    assert r.json() == {
        "success": False,
        "error": {"code": "internal_error", "message": "internal error"},
    }
    assert "a bug deep inside" not in r.text  # nothing internal leaks to the client
    assert r.headers["x-request-id"] == "req-abc-1"
    logged = [line for line in lines.lines if "ZeroDivisionError" in line.get("exc", "")]
    assert len(logged) == 1, lines.lines
    assert logged[0]["request_id"] == "req-abc-1"
    assert "Traceback" in logged[0]["exc"] and "a bug deep inside" in logged[0]["exc"]


def test_a_hot_path_bug_is_a_json_500_logged_once_with_traceback_and_request_id(
    tmp_path: Path,
    state_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # /i/ is a plain ASGI endpoint with no framework to catch what it raises: the outer
    # wrapper answers through the same mapping instead of leaving Granian's bare 500.
    async def broken(self: Catalog, slug: str, fresh: bool = False) -> None:
        raise ZeroDivisionError("a bug in the lookup")

    monkeypatch.setattr(Catalog, "resolve", broken)  # failure injection: a real bug
    settings = config.load({"OGEDGE_DATA_DIR": str(tmp_path), **state_env})
    lines = Lines()
    with TestClient(create_app(settings), raise_server_exceptions=False) as tc:
        logging.getLogger().addHandler(lines)
        r = tc.get("/i/AbCdEfGh1234", headers={"x-request-id": "req-hot-1"})
        head = tc.head("/i/AbCdEfGh1234", headers={"x-request-id": "req-hot-2"})
    logging.getLogger().removeHandler(lines)
    assert r.status_code == 500
    assert r.json() == {
        "success": False,
        "error": {"code": "internal_error", "message": "internal error"},
    }
    assert r.headers["x-request-id"] == "req-hot-1"
    assert head.status_code == 500 and head.content == b""
    logged = [line for line in lines.lines if "ZeroDivisionError" in line.get("exc", "")]
    assert [line["request_id"] for line in logged] == ["req-hot-1", "req-hot-2"], lines.lines
    assert all("a bug in the lookup" in line["exc"] for line in logged)
