from __future__ import annotations

import logging

import pytest

from proxy.state import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_opens_after_consecutive_failures_only(clock: Clock) -> None:
    b = CircuitBreaker(3, 2.0, clock)
    b.failure(OSError("x"))
    b.failure(OSError("x"))
    b.success()  # resets the streak
    b.failure(OSError("x"))
    b.failure(OSError("x"))
    assert b.state is BreakerState.CLOSED and b.allow()
    b.failure(OSError("x"))
    assert b.state is BreakerState.OPEN
    assert (b.opened, b.failures) == (1, 5)


def test_open_skips_calls_then_half_open_lets_one_probe_through(clock: Clock) -> None:
    b = CircuitBreaker(1, 2.0, clock)
    b.failure(TimeoutError())
    assert [b.allow() for _ in range(3)] == [False, False, False]
    assert b.skipped == 3
    clock.now += 2.0
    assert b.state is BreakerState.HALF_OPEN
    assert b.allow()  # the probe
    assert not b.allow()  # everyone else waits for its outcome
    assert b.skipped == 4


def test_successful_probe_closes(clock: Clock) -> None:
    b = CircuitBreaker(1, 2.0, clock)
    b.failure(TimeoutError())
    clock.now += 2.0
    assert b.allow()
    b.success()
    assert b.state is BreakerState.CLOSED
    assert all(b.allow() for _ in range(5))
    assert b.opened == 1


def test_failed_probe_reopens_for_a_full_period(clock: Clock) -> None:
    b = CircuitBreaker(2, 2.0, clock)
    b.failure(TimeoutError())
    b.failure(TimeoutError())
    clock.now += 2.5
    assert b.allow()
    b.failure(TimeoutError())
    assert b.state is BreakerState.OPEN
    clock.now += 1.9
    assert not b.allow()
    clock.now += 0.2
    assert b.allow()
    assert b.opened == 1  # still the same outage


def test_a_lost_probe_does_not_wedge_the_breaker(clock: Clock) -> None:
    b = CircuitBreaker(1, 2.0, clock)
    b.failure(TimeoutError())
    clock.now += 2.0
    assert b.allow()  # this probe's caller never reports back (cancelled)
    clock.now += 1.0
    assert not b.allow()
    clock.now += 1.0
    assert b.allow()


def test_transitions_are_logged_once(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ogedge.state")
    b = CircuitBreaker(2, 1.0, clock)
    for _ in range(5):
        b.failure(ConnectionError("refused"))
    for _ in range(3):
        b.allow()
        clock.now += 1.0
        assert b.allow()
        b.failure(ConnectionError("refused"))
    clock.now += 1.0
    assert b.allow()
    b.success()
    b.success()
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert len(messages) == 2
    assert "opened after 2 consecutive failures" in messages[0]
    assert "refused" in messages[0]
    assert "closed" in messages[1]


@pytest.mark.parametrize(("failures", "reset"), [(0, 1.0), (1, 0.0)])
def test_rejects_nonsense(failures: int, reset: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        CircuitBreaker(failures, reset)
