"""Rate limiting: a local GCRA on the hot path reconciled through Redis (image_limiter), strict
per-key limits on the APIs (key_limiter), both on one Lua GCRA script (gcra.lua)."""

from proxy.limits.decision import Decision, rate_limit_headers
from proxy.limits.gcra import LocalGCRA
from proxy.limits.image_limiter import IMAGE_SCOPE, PREVIEW_SCOPE, ImageLimiter, Reconciler
from proxy.limits.key_limiter import KEY_SCOPE, KeyLimiter
from proxy.limits.redis_gcra import RedisGCRA

__all__ = [
    "IMAGE_SCOPE",
    "KEY_SCOPE",
    "PREVIEW_SCOPE",
    "Decision",
    "ImageLimiter",
    "KeyLimiter",
    "LocalGCRA",
    "Reconciler",
    "RedisGCRA",
    "rate_limit_headers",
]
