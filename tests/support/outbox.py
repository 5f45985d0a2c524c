"""Looking into a server's webhook outbox from a test (in Redis), to wait on what it did."""

from __future__ import annotations

import time

from redis import Redis

__all__ = ["RECORDS", "wait_until_attempted"]

RECORDS = "ogedge:webhooks:{webhooks}:records"


def wait_until_attempted(url: str, within: float = 60.0) -> None:
    """Until every queued delivery has been claimed at least once (its attempt counted)."""
    redis = Redis.from_url(url)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            records = redis.hvals(RECORDS)
            if records and all(b'"attempt":0' not in r for r in records):
                return
            time.sleep(0.02)
        raise AssertionError("the delivery was never attempted")
    finally:
        redis.close()
