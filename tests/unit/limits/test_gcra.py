from __future__ import annotations

import pytest

from proxy.limits import LocalGCRA

T0 = 1000.0


def test_burst_is_allowed_then_denied_and_remaining_counts_down() -> None:
    g = LocalGCRA(rate=10, burst=4)
    decisions = [g.check("ip", T0) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, True, False]
    assert [d.remaining for d in decisions] == [3, 2, 1, 0, 0]
    assert all(d.limit == 4 for d in decisions)
    assert all(d.retry_after == 0 for d in decisions[:4])
    # Full again once all four intervals have passed.
    assert [d.reset_after for d in decisions[:4]] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert decisions[4].window == pytest.approx(0.4)


def test_retry_after_is_exactly_when_the_next_request_passes() -> None:
    g = LocalGCRA(rate=10, burst=4)
    for _ in range(4):
        g.check("ip", T0)
    denied = g.check("ip", T0 + 0.03)
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(0.07)
    assert denied.reset_after == pytest.approx(0.37)
    assert not g.check("ip", T0 + 0.03 + denied.retry_after - 0.001).allowed
    assert g.check("ip", T0 + 0.03 + denied.retry_after + 1e-6).allowed


def test_refills_at_rate() -> None:
    g = LocalGCRA(rate=10, burst=4)
    for _ in range(4):
        g.check("ip", T0)
    # 0.25 s later two and a half intervals have passed: two requests, not three.
    later = [g.check("ip", T0 + 0.25) for _ in range(3)]
    assert [d.allowed for d in later] == [True, True, False]
    # Sustained at exactly the rate: always allowed, never more.
    t = T0 + 10
    for i in range(50):
        assert g.check("steady", t + i * 0.1).allowed
    # ...and the bucket stayed full: one interval used, three left, then denied.
    last = t + 49 * 0.1
    assert [g.check("steady", last).allowed for _ in range(4)] == [True, True, True, False]


def test_keys_are_independent_and_a_stale_key_is_a_full_bucket() -> None:
    g = LocalGCRA(rate=1, burst=2)
    assert g.check("a", T0).allowed and g.check("a", T0).allowed
    assert not g.check("a", T0).allowed
    assert g.check("b", T0).remaining == 1
    fresh = g.check("a", T0 + 100)
    assert fresh.allowed and fresh.remaining == 1


def test_lru_is_bounded_and_evicts_least_recently_used() -> None:
    g = LocalGCRA(rate=1, burst=1, max_keys=2)
    g.check("a", T0)
    g.check("b", T0)
    assert not g.check("a", T0).allowed  # touches a: b is now the oldest
    g.check("c", T0)
    assert len(g) == 2
    assert not g.check("a", T0).allowed  # a survived, still limited
    assert g.check("b", T0).allowed  # b was evicted: a full bucket again
    # Counts of evicted keys go too, so counts stay bounded without a reconciler.
    assert set(g.take_counts()) <= {"a", "b", "c"}
    assert len(g.take_counts()) == 0


def test_take_counts_returns_allowed_requests_and_resets() -> None:
    g = LocalGCRA(rate=10, burst=3)
    for _ in range(5):
        g.check("a", T0)
    g.check("b", T0)
    assert g.take_counts() == {"a": 3, "b": 1}  # denied requests are not counted
    assert g.take_counts() == {}
    g.check("b", T0 + 1)
    assert g.take_counts() == {"b": 1}


def test_absorb_adopts_shared_debt_plus_requests_since_the_take() -> None:
    g = LocalGCRA(rate=10, burst=4)
    g.check("ip", T0)
    g.take_counts()
    g.check("ip", T0)  # allowed after the counts were taken: not in the shared debt yet
    # The shared debt: our first request plus one from another node.
    g.absorb("ip", 0.2, T0)
    d = g.check("ip", T0)
    assert d.allowed and d.remaining == 0  # 0.2 + 0.1 (ours since take) + 0.1 (this one)
    assert not g.check("ip", T0).allowed


def test_absorb_of_a_debt_beyond_tolerance_denies_until_paid() -> None:
    g = LocalGCRA(rate=10, burst=4)
    g.absorb("ip", 1.0, T0)
    d = g.check("ip", T0)
    assert not d.allowed
    assert d.retry_after == pytest.approx(0.7)
    assert g.check("ip", T0 + 0.71).allowed


def test_absorb_of_no_debt_does_not_grow_the_table() -> None:
    g = LocalGCRA(rate=10, burst=4, max_keys=1)
    g.absorb("x", 0.0, T0)
    assert len(g) == 0
    g.absorb("x", 0.5, T0)
    g.absorb("y", 0.5, T0)
    assert len(g) == 1


def test_default_clock_is_monotonic() -> None:
    g = LocalGCRA(rate=1000, burst=2)
    assert g.check("k").allowed
    assert g.check("k").remaining == 0


@pytest.mark.parametrize(
    ("rate", "burst", "max_keys"), [(0, 1, 1), (-1, 1, 1), (1, 0, 1), (1, 1, 0)]
)
def test_rejects_nonsense(rate: float, burst: int, max_keys: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        LocalGCRA(rate, burst, max_keys)
