"""SharedState instances for tests, built like a worker's (real client, breaker, deadline)."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from proxy.state import CircuitBreaker, SharedState

__all__ = ["make_state"]


def make_state(
    url: str,
    *,
    timeout: float = 0.25,
    failures: int = 3,
    reset: float = 2.0,
    prefix: str | None = None,
) -> SharedState:
    client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    return SharedState(
        client,
        CircuitBreaker(failures, reset),
        timeout=timeout,
        prefix=prefix or f"t{uuid.uuid4().hex[:12]}",
    )
