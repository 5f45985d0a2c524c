"""GCRA shared through Redis: one Lua script (gcra.lua), Redis's clock, one key per client.

Calls go through SharedState (breaker and deadline); an unavailable Redis raises
StateUnavailable and the caller chooses between failing open and answering 503.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

from redis.exceptions import NoScriptError

from proxy.limits.decision import Decision
from proxy.state import SharedState

__all__ = ["SCRIPT", "RedisGCRA"]

SCRIPT = importlib.resources.files("proxy.limits").joinpath("gcra.lua").read_text("utf-8")

_US = 1_000_000
# Keys per sync pipeline. redis-py spends ~10 us of this process's CPU per command (packing and
# parsing; Redis itself ~4.5 us), so a round over many distinct clients is cut into chunks:
# each chunk holds the event loop for ~1 ms at most, and gets its own deadline, so a large but
# healthy round is not mistaken for a dead Redis.
SYNC_CHUNK = 128


def _args(rate: float, burst: int) -> tuple[float, float]:
    if not rate > 0 or burst < 1:
        raise ValueError(f"need rate > 0 and burst >= 1, got rate={rate!r} burst={burst!r}")
    interval = _US / rate
    return interval, burst * interval


class RedisGCRA:
    """Strict per-request limiting (`acquire`) and batched reconciliation (`sync`) on Redis."""

    def __init__(self, state: SharedState) -> None:
        self._state = state
        # Registered once: EVALSHA, and on NOSCRIPT (a restarted or failed-over Redis) redis-py
        # loads the source and retries.
        self._script = state.script(SCRIPT)

    def key(self, scope: str, key: str) -> str:
        # Everything in the braces is the hash tag: each client's key lands on one Cluster slot,
        # and the single-key script never crosses slots.
        return self._state.key("rl", f"{scope}:{key}")

    async def acquire(
        self, scope: str, key: str, rate: float, burst: int, cost: int = 1
    ) -> Decision:
        """Apply `cost` requests if within the limit. Raises StateUnavailable."""
        interval, tolerance = _args(rate, burst)
        raw = await self._state.call(
            lambda: self._script(
                keys=[self.key(scope, key)], args=[interval, tolerance, cost, "check"]
            )
        )
        allowed, remaining, retry_us, reset_us = (int(v) for v in raw)
        return Decision(
            allowed == 1, burst, remaining, retry_us / _US, reset_us / _US, tolerance / _US
        )

    async def sync(
        self, scope: str, counts: dict[str, int], rate: float, burst: int
    ) -> dict[str, float]:
        """Add requests already served (key -> count) and return each key's shared debt in
        seconds (TAT - now, Redis's clock). One pipelined round trip per SYNC_CHUNK keys.
        Raises StateUnavailable; chunks already sent stay applied in Redis, and this round's
        debts are not adopted (the next successful round brings them back)."""
        if not counts:
            return {}
        interval, tolerance = _args(rate, burst)
        keys = list(counts)
        debts: dict[str, float] = {}
        for start in range(0, len(keys), SYNC_CHUNK):
            chunk = keys[start : start + SYNC_CHUNK]
            raw = await self._state.call(
                functools.partial(self._sync_pipeline, scope, chunk, counts, interval, tolerance)
            )
            for key, reply in zip(chunk, raw, strict=True):
                debts[key] = int(reply[3]) / _US
        return debts

    async def _sync_pipeline(
        self,
        scope: str,
        keys: list[str],
        counts: dict[str, int],
        interval: float,
        tolerance: float,
    ) -> list[Any]:
        replies = await self._run_sync(scope, keys, counts, interval, tolerance)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            # A restarted or flushed Redis: load the script and rerun exactly the calls that
            # did not run, so no count is applied twice.
            self._script.sha = await self._state.client.script_load(SCRIPT)
            again = [keys[i] for i in missing]
            for i, reply in zip(
                missing,
                await self._run_sync(scope, again, counts, interval, tolerance),
                strict=True,
            ):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def _run_sync(
        self,
        scope: str,
        keys: list[str],
        counts: dict[str, int],
        interval: float,
        tolerance: float,
    ) -> list[Any]:
        # Plain EVALSHA in a non-transactional pipeline, not the Script object: a pipeline that
        # knows its scripts sends SCRIPT EXISTS first, a second round trip on every sync. As a
        # raw command: the cluster pipeline refuses `evalsha()` but routes EVALSHA by its key.
        pipe = self._state.client.pipeline(transaction=False)
        sha = self._script.sha
        for key in keys:
            pipe.execute_command(
                "EVALSHA", sha, 1, self.key(scope, key), interval, tolerance, counts[key], "sync"
            )
        return list(await pipe.execute(raise_on_error=False))
