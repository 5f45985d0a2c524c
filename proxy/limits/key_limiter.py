"""Per-key request rate limits on the generation APIs: strict, one GCRA round trip per request.

Generation is low-volume and costly, so a round trip per request is affordable (unlike /i/). A
Redis that cannot answer means the limit cannot be enforced: StateUnavailable passes up (a 503)
rather than let a key exceed its plan.
"""

from __future__ import annotations

from proxy.errors import Limited
from proxy.keys import ApiKey
from proxy.limits.redis_gcra import RedisGCRA

__all__ = ["KEY_SCOPE", "KeyLimiter"]

KEY_SCOPE = "key"


class KeyLimiter:
    def __init__(self, shared: RedisGCRA) -> None:
        self._shared = shared

    async def check(self, key: ApiKey) -> None:
        """Count one request of `key`. Raises Limited (over its limit) or StateUnavailable."""
        decision = await self._shared.acquire(KEY_SCOPE, key.id, key.rate, key.burst)
        if not decision.allowed:
            raise Limited(
                f"rate limit of this API key exceeded ({decision.limit} burst); retry later",
                retry_after=int(decision.retry_after + 0.999),
                headers=[(k.decode(), v.decode()) for k, v in decision.headers()],
            )
