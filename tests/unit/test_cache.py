"""HotCache's admission of files into memory (proxy/cache.py): second sight, byte budget."""

from __future__ import annotations

import pytest

import proxy.cache
from proxy.cache import HotCache
from proxy.records import ImageMeta


def meta(name: str, size: int) -> ImageMeta:
    return ImageMeta(
        key=f"images/{name}/card.png", etag='"e"', size=size, content_type="image/png", modified=0.0
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(proxy.cache.time, "monotonic", lambda: now[0])
    return now


def test_a_card_is_admitted_on_its_second_get(clock: list[float]) -> None:
    cache = HotCache(10_000, 10_000, 10, 10, 30.0)
    card = cache.remember("a", meta("a", 500))
    assert cache.admit(card) is False  # first sight: its file is sent
    assert cache.admit(card) is True


def test_admissions_spend_a_byte_budget_that_refills_at_a_tenth_of_the_cache_per_second(
    clock: list[float],
) -> None:
    cache = HotCache(10_000, 10_000, 10, 10, 30.0)  # budget: 1,000 B, refilled at 1,000 B/s
    cards = [cache.remember(n, meta(n, 600)) for n in "abc"]
    for card in cards:
        cache.admit(card)
    assert cache.admit(cards[0]) is True
    assert cache.admit(cards[1]) is False  # 400 B left: a working set beyond the cache churns
    clock[0] += 0.2  # +200 B: 600 B
    assert cache.admit(cards[1]) is True
    assert cache.admit(cards[2]) is False
    clock[0] += 3600  # the budget is capped: idle time does not bank a burst
    assert cache.admit(cards[2]) is True
    assert cache.admit(cards[0]) is False


def test_a_card_larger_than_the_budget_still_gets_in(clock: list[float]) -> None:
    cache = HotCache(10_000, 10_000, 10, 10, 30.0)
    big = cache.remember("big", meta("big", 5_000))
    assert [cache.admit(big) for _ in range(2)] == [False, False]
    clock[0] += 4.0  # the cap is the card's size when it is above a tenth of the cache
    assert cache.admit(big) is True


def test_nothing_is_admitted_without_a_hot_cache_or_above_the_item_bound(
    clock: list[float],
) -> None:
    off = HotCache(0, 10_000, 10, 10, 30.0)
    card = off.remember("a", meta("a", 10))
    assert [off.admit(card) for _ in range(3)] == [False] * 3
    small_items = HotCache(10_000, 100, 10, 10, 30.0)
    card = small_items.remember("b", meta("b", 101))
    assert [small_items.admit(card) for _ in range(3)] == [False] * 3
