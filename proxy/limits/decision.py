"""The outcome of one rate-limit check, and the HTTP headers that describe it."""

from __future__ import annotations

import math

import msgspec

__all__ = ["Decision", "rate_limit_headers"]


# A msgspec Struct rather than a frozen dataclass: it is frozen and slotted all the same, but
# constructing one costs ~15 ns against ~600 ns for a frozen dataclass, and one is built for
# every image request. gc=False because it holds only scalars and can never be in a cycle.
class Decision(msgspec.Struct, frozen=True, gc=False):
    allowed: bool
    # The burst: how many requests a full bucket allows at once.
    limit: int
    # Requests still allowed right now after this one (0 when denied).
    remaining: int
    # Seconds until one request would be allowed (0 when allowed).
    retry_after: float
    # Seconds until the bucket is full again.
    reset_after: float
    # Seconds a full burst takes to refill (burst / rate): the window of `RateLimit-Policy`.
    window: float

    def headers(self) -> list[tuple[bytes, bytes]]:
        return rate_limit_headers(self)


def _seconds(value: float) -> bytes:
    # Header values are whole seconds; rounding up never tells a client to come back too early.
    return str(max(0, math.ceil(value))).encode("ascii")


def rate_limit_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    """`Retry-After` (denied only) and the IETF draft `RateLimit-*` fields, lower-cased for ASGI."""
    headers: list[tuple[bytes, bytes]] = []
    if not decision.allowed:
        # At least 1: "Retry-After: 0" invites an immediate retry that would be denied again.
        retry = max(1, math.ceil(decision.retry_after))
        headers.append((b"retry-after", str(retry).encode("ascii")))
    window = max(1, math.ceil(decision.window))
    headers += [
        (b"ratelimit-limit", str(decision.limit).encode("ascii")),
        (b"ratelimit-remaining", str(decision.remaining).encode("ascii")),
        (b"ratelimit-reset", _seconds(decision.reset_after)),
        (b"ratelimit-policy", f"{decision.limit};w={window}".encode("ascii")),
    ]
    return headers
