"""Rate limiting: a local GCRA on the hot path, shared through Redis by a Lua GCRA script."""

from proxy.limits.breaker import BreakerState, CircuitBreaker
from proxy.limits.decision import Decision, rate_limit_headers
from proxy.limits.gcra import LocalGCRA
from proxy.limits.image_limiter import (
    IMAGE_SCOPE,
    ImageLimiter,
    NullReconciler,
    Reconciler,
    RedisReconciler,
)
from proxy.limits.redis_gcra import RedisGCRA, redis_key

__all__ = [
    "IMAGE_SCOPE",
    "BreakerState",
    "CircuitBreaker",
    "Decision",
    "ImageLimiter",
    "LocalGCRA",
    "NullReconciler",
    "Reconciler",
    "RedisGCRA",
    "RedisReconciler",
    "rate_limit_headers",
    "redis_key",
]
