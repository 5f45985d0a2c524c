"""RenderPool: bounded, off the event loop, and a fast refusal when full."""

from __future__ import annotations

import asyncio
import threading

import pytest

from proxy.render_pool import RenderBusy, RenderPool


async def test_runs_off_the_loop_and_returns_results() -> None:
    pool = RenderPool(threads=2, queue=0)
    loop_thread = threading.get_ident()
    assert await pool.run(threading.get_ident) != loop_thread
    assert await pool.run(pow, 2, 10) == 1024
    assert pool.completed == 2
    pool.close()


async def test_full_pool_refuses_at_once_and_recovers() -> None:
    pool = RenderPool(threads=1, queue=1)
    gate = threading.Event()
    running = [asyncio.ensure_future(pool.run(gate.wait, 10)) for _ in range(2)]
    for _ in range(1000):  # until both tasks took their slot (one loop pass each, no timing)
        if pool.in_use == 2:
            break
        await asyncio.sleep(0)
    assert pool.in_use == 2
    with pytest.raises(RenderBusy):
        await pool.run(pow, 2, 2)  # refused without waiting for a slot
    assert pool.rejected == 1
    gate.set()
    assert await asyncio.gather(*running) == [True, True]
    assert pool.in_use == 0
    assert await pool.run(pow, 2, 2) == 4
    pool.close()


async def test_a_failing_render_frees_its_slot() -> None:
    pool = RenderPool(threads=1, queue=0)

    def boom() -> None:
        raise ValueError("bad spec")

    with pytest.raises(ValueError, match="bad spec"):
        await pool.run(boom)
    assert pool.in_use == 0
    assert await pool.run(pow, 3, 2) == 9
    pool.close()
