"""In-process GCRA (generic cell rate algorithm): the limiter the hot path runs on every request.

GCRA keeps one number per key, the theoretical arrival time (TAT): when the key's bucket would
be empty again if requests kept arriving at exactly the permitted rate. A request is allowed
when, after adding one emission interval (1 / rate) to the TAT, the TAT is at most the delay
tolerance (burst * interval) ahead of now. A TAT in the past means a full bucket, the same as
no entry at all, so entries can be evicted freely once stale.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from proxy.limits.decision import Decision

__all__ = ["LocalGCRA"]

# Float slack for comparisons and floors: (burst * interval) / interval must give back burst.
_EPS = 1e-9


class LocalGCRA:
    """Per-key GCRA over a bounded LRU of TATs; `check` is synchronous and allocation-light."""

    __slots__ = ("_burst", "_counts", "_interval", "_max_keys", "_tats", "_tolerance", "_window")

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0 requests per second, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys!r}")
        self._interval = 1.0 / rate
        self._burst = burst
        self._tolerance = burst * self._interval
        self._window = self._tolerance
        self._max_keys = max_keys
        # OrderedDict, not dict: popitem(last=False) evicts the least recently used key in O(1),
        # where a plain dict's "first key" can cost a scan over deleted slots.
        self._tats: OrderedDict[str, float] = OrderedDict()
        # Requests allowed per key since the last take_counts(); a subset of _tats' keys (an
        # evicted key drops its count too), so it stays bounded even if nobody ever takes it.
        self._counts: dict[str, int] = {}

    @property
    def rate(self) -> float:
        return 1.0 / self._interval

    @property
    def burst(self) -> int:
        return self._burst

    @property
    def interval(self) -> float:
        return self._interval

    def __len__(self) -> int:
        return len(self._tats)

    def __contains__(self, key: str) -> bool:
        return key in self._tats

    def check(self, key: str, now: float | None = None) -> Decision:
        """Allow or deny one request for `key` at `now` (time.monotonic() when omitted)."""
        if now is None:
            now = time.monotonic()
        tats = self._tats
        tat = tats.get(key)
        if tat is None:
            if len(tats) >= self._max_keys:
                self._evict()
            tat = now
        elif tat < now:
            tat = now
        new_tat = tat + self._interval
        ahead = new_tat - now
        if ahead > self._tolerance + _EPS:
            # Denied: the TAT does not move, but the key is touched so an active abuser is the
            # last key the LRU would evict (evicting it would hand it a fresh burst).
            tats[key] = tat
            tats.move_to_end(key)
            return Decision(False, self._burst, 0, ahead - self._tolerance, tat - now, self._window)
        tats[key] = new_tat
        tats.move_to_end(key)
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1
        remaining = int((self._tolerance - ahead) / self._interval + _EPS)
        return Decision(True, self._burst, remaining, 0.0, ahead, self._window)

    def absorb(self, key: str, debt_seconds: float, now: float) -> None:
        """Adopt the shared state: the key's TAT becomes `now + debt_seconds`.

        Requests this process allowed after its counts were taken are not in the shared debt
        yet (they travel with the next sync), so their intervals are kept on top of it.
        """
        tat = now + debt_seconds + self._counts.get(key, 0) * self._interval
        tats = self._tats
        if key not in tats:
            if tat <= now:
                return  # a full bucket: the same as no entry
            if len(tats) >= self._max_keys:
                self._evict()
        tats[key] = tat
        tats.move_to_end(key)

    def take_counts(self) -> dict[str, int]:
        """Return how many requests each key was allowed since the last call, and reset."""
        counts = self._counts
        self._counts = {}
        return counts

    def _evict(self) -> None:
        key, _ = self._tats.popitem(last=False)
        self._counts.pop(key, None)
