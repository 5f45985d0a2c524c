"""Monthly render quotas per project, counted on new renders only, shared by every worker and
node: one counter per project and UTC month in Redis, changed only by quota.lua (atomic, so
concurrent renders can never count past the quota)."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from importlib import resources

from proxy.errors import Limited
from proxy.state import SharedState

__all__ = ["QuotaExceeded", "Quotas"]

_SCRIPT = resources.files("proxy").joinpath("quota.lua").read_text()
_EXPIRY = 40 * 24 * 3600


class QuotaExceeded(Limited):
    code = "quota_exceeded"

    def __init__(self, quota: int, retry_after: int) -> None:
        super().__init__(
            f"monthly quota of {quota} renders is used up; it renews at the start of next "
            "month (UTC)",
            retry_after=retry_after,
        )
        self.quota = quota


def month_of(now: float) -> tuple[str, int]:
    """The UTC month `yyyymm` and the seconds until the next one (the quota's Retry-After)."""
    t = time.gmtime(now)
    year, month = (t.tm_year + 1, 1) if t.tm_mon == 12 else (t.tm_year, t.tm_mon + 1)
    next_month = calendar.timegm((year, month, 1, 0, 0, 0))
    return f"{t.tm_year:04d}{t.tm_mon:02d}", max(1, next_month - int(now))


class Quotas:
    def __init__(self, state: SharedState, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock
        self._script = state.script(_SCRIPT)

    def key(self, project: str, month: str) -> str:
        return self._state.key("quota", project, month)

    async def take(self, project: str, quota: int) -> None:
        """Count one new render; QuotaExceeded over `quota` (0 = unlimited); StateUnavailable
        when Redis cannot answer (a render that cannot be accounted for is not made)."""
        month, retry = month_of(self._clock())
        used = await self._state.call(
            lambda: self._script(keys=[self.key(project, month)], args=["take", quota, _EXPIRY])
        )
        if int(used) < 0:
            raise QuotaExceeded(quota, retry)

    async def give_back(self, project: str) -> None:
        """Undo `take` for a render that failed."""
        month, _ = month_of(self._clock())
        await self._state.call(
            lambda: self._script(keys=[self.key(project, month)], args=["give", 0, _EXPIRY])
        )

    async def used(self, project: str) -> int:
        """Renders counted this month (for the console and usage reports)."""
        month, _ = month_of(self._clock())
        raw = await self._state.call(lambda: self._state.client.get(self.key(project, month)))
        return int(raw or 0)
