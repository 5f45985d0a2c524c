"""Bounded render concurrency, off the event loop that serves `/i/`.

Renders run in render processes by default (OGEDGE_RENDER_MODE=process): libvips releases the
GIL, but the renderer's Python glue (layout, caches, encoding calls) does not, and a worker
thread holding the GIL makes the event loop wait behind it, which shows in `/i/` tail
latency whenever renders run. In a process, a render costs the loop only the hand-over
(pickling the spec and asset bytes in, the image bytes out). `thread` mode keeps renders in
the worker (less memory, no hand-over; fine for a node that mostly serves).

A burst beyond workers + queue gets RenderBusy (503) at once instead of queueing until every
client times out. A render process that dies (a crash in a codec) breaks the pool: it is
replaced, and the requests it held get a 503.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import ParamSpec, TypeVar

from proxy import render_worker
from proxy.errors import Unavailable

__all__ = ["RenderBusy", "RenderPool", "default_workers"]

log = logging.getLogger("ogedge.render")
P = ParamSpec("P")
T = TypeVar("T")


class RenderBusy(Exception):
    """Every render slot is taken: the caller answers 503 with Retry-After."""

    retry_after = 1


def default_workers(server_workers: int) -> int:
    """Render workers per server worker: its share of the cores, and at least two where there
    are two cores. The kernel does not spread connections evenly over server workers (k6's 4
    keep-alive connections all landed on one of two workers in a measured run, leaving the
    other worker's one render process idle: 48 renders/s instead of 65), so a worker may use
    up to twice its share; render processes run at a lower priority (render_worker.start), so
    the event loops serving /i/ still get the CPU first."""
    cores = os.cpu_count() or 1
    share = cores // max(1, server_workers or cores)
    return min(cores, max(2, share))


class RenderPool:
    def __init__(self, workers: int, queue: int, *, processes: bool = False) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.slots = self.workers + queue
        self.processes = processes
        self._executor = self._new_executor()
        self.in_use = 0
        # Counters for metrics and tests.
        self.completed = 0
        self.rejected = 0
        self.replaced = 0

    def _new_executor(self) -> Executor:
        if not self.processes:
            return ThreadPoolExecutor(self.workers, thread_name_prefix="ogedge-render")
        # spawn, not fork: the server process runs threads (Granian, uvloop, aiohttp) that a
        # forked child would inherit half-way through whatever they were doing.
        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=render_worker.start,
        )

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        # One event loop owns the pool: the check and the increment cannot interleave.
        if self.in_use >= self.slots:
            self.rejected += 1
            raise RenderBusy(f"all {self.slots} render slots are busy")
        self.in_use += 1
        executor = self._executor
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(executor, partial(fn, *args, **kwargs))
            self.completed += 1
            return result
        except BrokenProcessPool as exc:
            if self._executor is executor:  # the first to notice replaces it
                log.error("a render process died; starting a new pool: %r", exc)
                self._executor = self._new_executor()
                self.replaced += 1
                executor.shutdown(wait=False, cancel_futures=True)
            raise Unavailable("the render process stopped; retry shortly", retry_after=1) from exc
        finally:
            self.in_use -= 1

    async def warm(self) -> None:
        """Start every render process now (at worker start), not on the first request."""
        if isinstance(self._executor, ProcessPoolExecutor):
            futures = [self._executor.submit(os.getpid) for _ in range(self.workers)]
            await asyncio.gather(*(asyncio.wrap_future(f) for f in futures))

    def close(self) -> None:
        # Renders in flight finish (their callers are waiting); nothing new starts.
        self._executor.shutdown(wait=True, cancel_futures=True)
