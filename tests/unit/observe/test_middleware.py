"""Observe around a plain ASGI app: what happens when the app raises."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from proxy.observe.middleware import Observe

SCOPE = {"type": "http", "path": "/i/x", "method": "GET", "headers": []}


def _run(app: Any, on_error: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    asyncio.run(Observe(app, on_error=on_error)(dict(SCOPE), receive, send))
    return sent


async def _raises_first(scope: Any, receive: Any, send: Any) -> None:
    raise LookupError("before any answer")


async def _raises_mid_answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise LookupError("after the status line")


def test_error_before_the_answer_goes_to_on_error() -> None:
    seen: list[BaseException] = []

    async def on_error(exc: BaseException, scope: dict[str, Any], send: Any) -> None:
        seen.append(exc)
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sent = _run(_raises_first, on_error)
    assert [type(e) for e in seen] == [LookupError]
    assert sent[0]["status"] == 503
    assert (b"x-request-id", sent[0]["headers"][-1][1]) == sent[0]["headers"][-1]


def test_error_mid_answer_is_raised_so_the_server_drops_the_connection() -> None:
    async def on_error(exc: BaseException, scope: dict[str, Any], send: Any) -> None:
        raise AssertionError("a started answer must not get a second status line")

    with pytest.raises(LookupError):
        _run(_raises_mid_answer, on_error)


def test_without_on_error_the_exception_propagates() -> None:
    with pytest.raises(LookupError):
        _run(_raises_first, None)
