"""Per-key request rate limits on the generation APIs (the foundation's GCRA).

Strict and shared through Redis when it is configured: generation is low-volume and costly, so
a round trip per request is affordable (unlike /i/). Redis configured but unreachable means the
limit cannot be enforced: the caller answers 503 rather than let a key exceed its plan.
"""

from __future__ import annotations

from typing import Protocol

from proxy.http.errors import ApiError
from proxy.keys import ApiKey
from proxy.limits import Decision, LocalGCRA, RedisGCRA

__all__ = ["KeyLimiter", "LocalKeyLimiter", "RedisKeyLimiter"]

_SCOPE = "key"


class KeyLimiter(Protocol):
    async def check(self, key: ApiKey) -> None:
        """Raise ApiError 429 (over the limit) or 503 (cannot tell)."""
        ...


def _raise_limited(decision: Decision) -> None:
    headers = {name.decode(): value.decode() for name, value in decision.headers()}
    raise ApiError(
        429,
        "rate_limited",
        f"rate limit of this API key exceeded ({decision.limit} burst); retry later",
        headers=headers,
    )


class RedisKeyLimiter:
    def __init__(self, shared: RedisGCRA) -> None:
        self._shared = shared

    async def check(self, key: ApiKey) -> None:
        decision = await self._shared.acquire(_SCOPE, key.id, key.rate, key.burst)
        if decision is None:
            raise ApiError(
                503,
                "unavailable",
                "rate limiting is unavailable; retry shortly",
                headers={"Retry-After": "2"},
            )
        if not decision.allowed:
            _raise_limited(decision)


class LocalKeyLimiter:
    """No Redis: one GCRA per (rate, burst) plan in this process."""

    def __init__(self) -> None:
        self._plans: dict[tuple[float, int], LocalGCRA] = {}

    async def check(self, key: ApiKey) -> None:
        plan = (key.rate, key.burst)
        gcra = self._plans.get(plan)
        if gcra is None:
            gcra = self._plans[plan] = LocalGCRA(key.rate, key.burst, max_keys=10_000)
        decision = gcra.check(key.id)
        if not decision.allowed:
            _raise_limited(decision)
