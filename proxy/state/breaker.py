"""A circuit breaker for Redis: after a few consecutive failures stop calling it for a while,
so a dead or frozen Redis costs requests nothing instead of a timeout each."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable

__all__ = ["BreakerState", "CircuitBreaker"]

log = logging.getLogger("ogedge.state")


class BreakerState(enum.StrEnum):
    CLOSED = "closed"  # calls go through; consecutive failures are counted
    OPEN = "open"  # calls are skipped until `reset_after` has passed
    HALF_OPEN = "half_open"  # one probe call decides: success closes, failure reopens


class CircuitBreaker:
    """Closed / open / half-open on consecutive failures. Not thread-safe: one event loop owns it.

    Callers follow one pattern: `if not breaker.allow(): <fallback>`, then report the call's
    outcome with `success()` or `failure(exc)`.
    """

    def __init__(
        self,
        failures: int,
        reset_after: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "redis",
    ) -> None:
        if failures < 1:
            raise ValueError(f"failures must be >= 1, got {failures!r}")
        if reset_after <= 0:
            raise ValueError(f"reset_after must be > 0 seconds, got {reset_after!r}")
        self.threshold = failures
        self.reset_after = reset_after
        self.name = name
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0  # when the current open period started (or the probe was sent)
        self._down_since = 0.0  # first opening of the current outage, for the recovery log
        # Counters for metrics; they only ever grow.
        self.opened = 0  # closed -> open transitions (outages)
        self.failures = 0  # every failure reported
        self.skipped = 0  # calls refused while open or while a probe was in flight

    @property
    def state(self) -> BreakerState:
        # Report half-open as soon as the probe is due, not only once someone asks to call.
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.reset_after:
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._consecutive

    def allow(self) -> bool:
        """May the caller try Redis now? While half-open, only one caller (the probe) may."""
        if self._state is BreakerState.CLOSED:
            return True
        now = self._clock()
        if now - self._opened_at < self.reset_after:
            self.skipped += 1
            return False
        # Due for a probe: either the open period ended, or a previous probe never reported
        # back (its caller was cancelled) and has been outstanding for a whole period.
        self._state = BreakerState.HALF_OPEN
        self._opened_at = now
        return True

    def success(self) -> None:
        self._consecutive = 0
        if self._state is not BreakerState.CLOSED:
            log.info(
                "%s circuit closed: recovered after %.1fs (%d calls skipped so far)",
                self.name,
                self._clock() - self._down_since,
                self.skipped,
            )
            self._state = BreakerState.CLOSED

    def failure(self, exc: BaseException | None = None) -> None:
        self.failures += 1
        self._consecutive += 1
        now = self._clock()
        if self._state is BreakerState.HALF_OPEN:
            # The probe failed: stay down for another period. Debug only, so an outage logs
            # one warning when it starts and one line when it ends, not one per probe.
            self._state = BreakerState.OPEN
            self._opened_at = now
            log.debug("%s circuit probe failed: %r", self.name, exc)
        elif self._state is BreakerState.CLOSED and self._consecutive >= self.threshold:
            self._state = BreakerState.OPEN
            self._opened_at = self._down_since = now
            self.opened += 1
            log.warning(
                "%s circuit opened after %d consecutive failures (last: %r); skipping it for %.1fs",
                self.name,
                self._consecutive,
                exc,
                self.reset_after,
            )
