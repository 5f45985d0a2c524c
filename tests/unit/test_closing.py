"""Shutdown never hangs on one stuck close: each step is bounded, abandoned and logged past
its bound, even a close that ignores cancellation; a blocking close runs off the loop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from proxy import lifespan
from proxy.closing import bounded

HANG_GUARD = 30.0


def _logged(caplog: pytest.LogCaptureFixture, what: str) -> bool:
    return any(
        f"closing the {what}" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR
    )


async def test_a_close_that_never_returns_is_abandoned_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    never = asyncio.Event()

    async def stuck() -> None:
        await never.wait()

    await asyncio.wait_for(bounded(stuck, "thing", within=0.05), HANG_GUARD)
    assert _logged(caplog, "thing")


async def test_a_close_that_swallows_its_cancellation_is_abandoned_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # wait_for would cancel it and then wait for ever for the cancellation to end.
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue

    await asyncio.wait_for(bounded(stubborn, "stubborn part", within=0.05), HANG_GUARD)
    assert _logged(caplog, "stubborn part")
    release.set()


async def test_a_failing_close_raises_its_error() -> None:
    async def broken() -> None:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        await bounded(broken, "storage", within=5)


async def test_a_blocking_close_runs_off_the_loop() -> None:
    ran_in: list[object] = []
    loop_thread = asyncio.get_running_loop()

    def close() -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            ran_in.append("no loop here")

    await bounded(lifespan._in_thread(close), "pool")
    assert "no loop here" in ran_in and loop_thread.is_running()
