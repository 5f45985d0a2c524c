"""Bounded render concurrency: renders run on worker threads (libvips releases the GIL) so the
event loop keeps serving cache hits, and a burst beyond threads + queue gets 503 at once
instead of queueing until every client times out."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

__all__ = ["RenderBusy", "RenderPool"]

P = ParamSpec("P")
T = TypeVar("T")


class RenderBusy(Exception):
    """Every render slot is taken: the caller answers 503 with Retry-After."""

    retry_after = 1


class RenderPool:
    def __init__(self, threads: int, queue: int) -> None:
        self.threads = threads or os.cpu_count() or 1
        self.slots = self.threads + queue
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="ogedge-render")
        self.in_use = 0
        # Counters for metrics and tests.
        self.completed = 0
        self.rejected = 0

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        # One event loop owns the pool: the check and the increment cannot interleave.
        if self.in_use >= self.slots:
            self.rejected += 1
            raise RenderBusy(f"all {self.slots} render slots are busy")
        self.in_use += 1
        try:
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))
            self.completed += 1
            return result
        finally:
            self.in_use -= 1

    def close(self) -> None:
        # Renders in flight finish (their callers are waiting); nothing new starts.
        self._executor.shutdown(wait=True, cancel_futures=True)
