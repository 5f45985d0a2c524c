"""RenderPool: bounded, off the event loop, and a fast refusal when full."""

from __future__ import annotations

import asyncio
import threading

import pytest

from proxy.render_pool import RenderBusy, RenderPool, default_workers
from proxy.render_worker import NICENESS


async def test_runs_off_the_loop_and_returns_results() -> None:
    pool = RenderPool(2, queue=0)
    loop_thread = threading.get_ident()
    assert await pool.run(threading.get_ident) != loop_thread
    assert await pool.run(pow, 2, 10) == 1024
    assert pool.completed == 2
    pool.close()


async def test_full_pool_refuses_at_once_and_recovers() -> None:
    pool = RenderPool(1, queue=1)
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
    pool = RenderPool(1, queue=0)

    def boom() -> None:
        raise ValueError("bad spec")

    with pytest.raises(ValueError, match="bad spec"):
        await pool.run(boom)
    assert pool.in_use == 0
    assert await pool.run(pow, 3, 2) == 9
    pool.close()


def _vips_concurrency() -> str:
    import os

    return os.environ.get("VIPS_CONCURRENCY", "")


def _pid() -> int:
    import os

    return os.getpid()


def _die() -> None:
    import os

    os._exit(3)  # a codec crash, as the pool sees it


async def test_render_processes_render_real_cards_off_the_server_process() -> None:
    import os

    import renderer

    pool = RenderPool(2, queue=0, processes=True)
    try:
        await pool.warm()
        pids = set()
        for _ in range(3):
            pids.update(await asyncio.gather(pool.run(_pid), pool.run(_pid)))
        assert os.getpid() not in pids and 1 <= len(pids) <= 2
        assert await pool.run(_vips_concurrency) == "1"  # the pool is the parallelism
        # Below the server's priority: /i/ gets a contended core before a render does.
        assert await pool.run(os.nice, 0) == os.nice(0) + NICENESS
        spec = renderer.RenderSpec(template="blog", title="Rendered in a render process")
        card = await pool.run(renderer.render, spec, None)
        assert card.data.startswith(b"\x89PNG") and (card.width, card.height) == (1200, 630)
        assert card.data == renderer.render(spec).data  # the same bytes as in-process
    finally:
        pool.close()


async def test_a_dead_render_process_is_a_503_and_the_pool_is_replaced() -> None:
    from proxy.errors import Unavailable

    pool = RenderPool(1, queue=0, processes=True)
    try:
        with pytest.raises(Unavailable):
            await pool.run(_die)
        assert pool.replaced == 1
        assert await pool.run(pow, 2, 5) == 32  # the new pool works
        assert pool.in_use == 0
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("cores", "server_workers", "expected"),
    [(1, 1, 1), (2, 2, 2), (2, 1, 2), (4, 4, 2), (8, 2, 4), (64, 64, 2), (2, 0, 2)],
)
def test_default_render_workers_are_a_share_of_the_cores_and_at_least_two(
    monkeypatch: pytest.MonkeyPatch, cores: int, server_workers: int, expected: int
) -> None:
    # Two per server worker (never more than the cores): connections do not spread evenly
    # over server workers, so a busy one can use an idle one's core.
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert default_workers(server_workers) == expected
