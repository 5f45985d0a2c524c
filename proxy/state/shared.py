"""SharedState: the one way to Redis for every part of ogedge.

It owns the client (one pool per worker), the circuit breaker and the timeout policy, so each
Redis user says *what* to do and `call` decides *whether and how long*:

- every call is bounded twice: the client's socket timeouts catch a dead peer, and an asyncio
  deadline catches a frozen one (a SIGSTOPped Redis keeps its TCP connections open and accepts
  new ones into the backlog, so no socket operation ever times out as a whole);
- any error or timeout is reported to the breaker; while it is open no call is attempted;
- either way the caller gets `StateUnavailable` and chooses: fail open (limits, metadata,
  locks) or answer 503 (quotas, per-key limits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import RedisClusterException, RedisError

from proxy.errors import Unavailable
from proxy.state.breaker import CircuitBreaker
from proxy.state.connect import StateClient

__all__ = ["FAILURES", "Mode", "SharedState", "StateClient", "StateUnavailable"]

T = TypeVar("T")
Mode = Literal["embedded", "external"]
# What "Redis is unavailable" looks like: its own errors, socket errors, our deadline, and a
# cluster the client cannot reach (RedisClusterException is not a RedisError).
FAILURES = (RedisError, RedisClusterException, OSError, TimeoutError)


class StateUnavailable(Unavailable):
    """Redis failed, timed out, or the breaker is open: nothing was (knowingly) changed."""

    def __init__(self, message: str = "shared state (Redis) is unavailable") -> None:
        super().__init__(message)


class SharedState:
    def __init__(
        self,
        client: StateClient,
        breaker: CircuitBreaker,
        *,
        timeout: float,
        prefix: str = "ogedge",
        mode: Mode = "external",
        location: str = "",
    ) -> None:
        self.client = client
        self.breaker = breaker
        self.timeout = timeout
        self.prefix = prefix
        self.mode = mode
        self.location = location  # for /readyz and logs: the socket path or host, never a password

    @property
    def topology(self) -> str:
        return "cluster" if isinstance(self.client, RedisCluster) else "single node"

    def key(self, kind: str, tag: str, *rest: str) -> str:
        """`<prefix>:<kind>:{<tag>}[:rest…]`. The braces are the Redis Cluster hash tag: every
        key of one tag lands in one slot, so a script over them never crosses slots."""
        tail = "".join(":" + part for part in rest)
        return f"{self.prefix}:{kind}:{{{tag}}}{tail}"

    def script(self, source: str) -> AsyncScript:
        """Register a Lua script once: calls send EVALSHA and reload it on NOSCRIPT."""
        return self.client.register_script(source)

    async def call(self, op: Callable[[], Awaitable[T]], within: float | None = None) -> T:
        """Run `op()` under the breaker and a deadline (`within` seconds, the configured
        socket timeout by default). Raises StateUnavailable."""
        breaker = self.breaker
        if not breaker.allow():
            raise StateUnavailable("shared state (Redis) is unavailable: circuit open")
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for returns the result when the call
            # finishes as a cancel arrives, and a stopping loop would then run on (gh-86296).
            async with asyncio.timeout(self.timeout if within is None else within):
                result = await op()
        except FAILURES as exc:
            breaker.failure(exc)
            raise StateUnavailable(f"shared state (Redis) is unavailable: {exc!r}") from exc
        breaker.success()
        return result

    async def ping(self, within: float) -> None:
        """A direct reachability probe for /readyz and start-up (the breaker is not consulted:
        a probe must tell the truth even while it is open). Raises what the client raises."""
        async with asyncio.timeout(within):
            await self._ping()

    async def _ping(self) -> Any:
        return await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()
