from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from proxy.netguard import FetchTimeout, ForbiddenAddress, InvalidURL, TooLarge, UpstreamError
from proxy.webhooks.retry import Outcome, backoff, judge_error, judge_status, parse_retry_after

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (200, Outcome.DELIVERED),
        (204, Outcome.DELIVERED),
        (301, Outcome.DEAD),
        (302, Outcome.DEAD),
        (400, Outcome.DEAD),
        (401, Outcome.DEAD),
        (404, Outcome.DEAD),
        (410, Outcome.DEAD),
        (408, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (502, Outcome.RETRY),
        (503, Outcome.RETRY),
    ],
)
def test_statuses(code: int, outcome: Outcome) -> None:
    assert judge_status(code, {}).outcome is outcome


def test_retry_after_is_kept_in_seconds_or_as_a_date() -> None:
    assert judge_status(429, {"Retry-After": "7"}).retry_after == 7.0
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, NOW) == 90.0
    assert parse_retry_after(format_datetime(NOW - timedelta(hours=1), usegmt=True), NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("-5", NOW) is None
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (ForbiddenAddress("private", "http://10.0.0.1/"), Outcome.DEAD),
        (InvalidURL("bad", "ftp://x/"), Outcome.DEAD),
        (FetchTimeout("slow", "https://x/"), Outcome.RETRY),
        (UpstreamError("refused", "https://x/"), Outcome.RETRY),
        (TooLarge("big", "https://x/"), Outcome.RETRY),
    ],
)
def test_fetch_errors(exc: Exception, outcome: Outcome) -> None:
    assert isinstance(exc, ForbiddenAddress | InvalidURL | FetchTimeout | UpstreamError | TooLarge)
    assert judge_error(exc).outcome is outcome


def test_backoff_is_full_jitter_under_a_growing_capped_ceiling() -> None:
    assert backoff(1, 15.0, 3600.0, lambda: 1.0) == 15.0
    assert backoff(2, 15.0, 3600.0, lambda: 1.0) == 60.0
    assert backoff(3, 15.0, 3600.0, lambda: 1.0) == 240.0
    assert backoff(9, 15.0, 3600.0, lambda: 1.0) == 3600.0
    assert backoff(3, 15.0, 3600.0, lambda: 0.0) == 0.0
    assert backoff(3, 15.0, 3600.0, lambda: 0.5) == 120.0
