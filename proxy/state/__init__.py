"""Shared state: the one Redis client per worker, its circuit breaker and timeout policy
(`SharedState`), and how it is opened (embedded server or external, single node or cluster)."""

from proxy.state.breaker import BreakerState, CircuitBreaker
from proxy.state.shared import FAILURES, Mode, SharedState, StateClient, StateUnavailable

__all__ = [
    "FAILURES",
    "BreakerState",
    "CircuitBreaker",
    "Mode",
    "SharedState",
    "StateClient",
    "StateUnavailable",
]
