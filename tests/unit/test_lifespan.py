"""Shutdown never hangs on one stuck close: each step is bounded and logged when abandoned."""

from __future__ import annotations

import asyncio
import logging

import pytest

from proxy import lifespan


async def test_a_close_that_never_returns_is_abandoned_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(lifespan, "_CLOSE_TIMEOUT", 0.05)
    never = asyncio.Event()

    async def stuck() -> None:
        await never.wait()

    await asyncio.wait_for(lifespan._bounded(stuck, "thing"), 10)  # returns: it gave up
    assert any(
        "closing the thing" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR
    )


async def test_a_blocking_close_runs_off_the_loop() -> None:
    ran_in: list[object] = []
    loop_thread = asyncio.get_running_loop()

    def close() -> None:
        ran_in.append(asyncio.get_event_loop_policy())
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            ran_in.append("no loop here")

    await lifespan._bounded(lifespan._in_thread(close), "pool")
    assert "no loop here" in ran_in and loop_thread.is_running()
