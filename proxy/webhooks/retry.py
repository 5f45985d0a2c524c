"""What to do after one delivery attempt: done, try again (and when), or give up."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from proxy.netguard import FetchError, FetchTimeout, ForbiddenAddress, InvalidURL, UpstreamError

__all__ = ["Outcome", "Verdict", "backoff", "judge_error", "judge_status", "parse_retry_after"]

# Growth of the backoff ceiling per attempt: with 8 attempts and a 15 s base the ceilings
# run 15 s, 1 min, 4 min, 16 min, 64 min, 4.3 h, then the cap: about a day in all.
_FACTOR = 4


class Outcome(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    reason: str = ""
    # Seconds the receiver asked us to wait (Retry-After), when it did.
    retry_after: float | None = None


def judge_status(status: int, headers: Mapping[str, str], now: datetime | None = None) -> Verdict:
    """2xx delivered; 408, 429 and 5xx worth another try; anything else will not change."""
    if 200 <= status < 300:
        return Verdict(Outcome.DELIVERED)
    if status in (408, 429) or 500 <= status < 600:
        wait = parse_retry_after(headers.get("Retry-After"), now)
        return Verdict(Outcome.RETRY, f"the receiver answered {status}", wait)
    if 300 <= status < 400:
        # Following would re-aim a signed event at wherever the Location says; the caller
        # must configure the final URL instead.
        return Verdict(Outcome.DEAD, f"the receiver answered {status}: redirects are not followed")
    return Verdict(Outcome.DEAD, f"the receiver answered {status}")


def judge_error(exc: FetchError) -> Verdict:
    """A URL we refuse to reach will be refused again: give up. Anything on the way may pass."""
    if isinstance(exc, ForbiddenAddress | InvalidURL):
        return Verdict(Outcome.DEAD, exc.message)
    if isinstance(exc, FetchTimeout | UpstreamError):
        return Verdict(Outcome.RETRY, exc.message)
    # TooLarge (an oversized answer, status unread) and anything newer: assume transient.
    return Verdict(Outcome.RETRY, exc.message)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # unreadable: fall back to our own backoff
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT by definition
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff(attempt: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """Full jitter (random in [0, ceiling]) after failed attempt `attempt` (1-based): spreads
    the retries of many deliveries that failed together, e.g. when a receiver went down."""
    ceiling = min(cap, base * _FACTOR ** max(0, attempt - 1))
    return float(rng() * ceiling)
