"""ByteMemo: bounded by bytes, least recently used out first, safe from many threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pyvips

from renderer.memo import ByteMemo, image_bytes


def _counting(value: bytes, calls: list[bytes]) -> Callable[[], bytes]:
    def build() -> bytes:
        calls.append(value)
        return value

    return build


def test_evicts_least_recently_used_by_bytes() -> None:
    memo: ByteMemo[str, bytes] = ByteMemo(10, len)
    calls: list[bytes] = []
    memo.get_or_build("a", _counting(b"aaaa", calls))
    memo.get_or_build("b", _counting(b"bbbb", calls))
    memo.get_or_build("a", _counting(b"never", calls))  # a hit, and now the most recent
    memo.get_or_build("c", _counting(b"cccc", calls))  # 12 bytes > 10: b goes
    assert calls == [b"aaaa", b"bbbb", b"cccc"]
    assert "a" in memo and "b" not in memo and "c" in memo
    assert (len(memo), memo.nbytes) == (2, 8)
    assert memo.get_or_build("b", _counting(b"bbbb", calls)) == b"bbbb"  # rebuilt
    assert calls[-1] == b"bbbb" and memo.nbytes <= 10


def test_oversize_values_are_returned_but_not_kept() -> None:
    memo: ByteMemo[str, bytes] = ByteMemo(10, len, max_item_bytes=6)
    memo.get_or_build("small", lambda: b"12345")
    assert memo.get_or_build("big", lambda: b"1234567") == b"1234567"
    assert "big" not in memo and "small" in memo  # nothing was evicted to make room
    unbounded: ByteMemo[str, bytes] = ByteMemo(4, len)
    assert unbounded.get_or_build("huge", lambda: b"x" * 5) == b"xxxxx"
    assert len(unbounded) == 0 and unbounded.nbytes == 0


def test_admit_on_repeat_keeps_a_value_the_second_time_only() -> None:
    materialised: list[bytes] = []

    def materialise(value: bytes) -> bytes:
        materialised.append(value)
        return value.upper()

    memo: ByteMemo[str, bytes] = ByteMemo(100, len, admit_on_repeat=2, materialise=materialise)
    calls: list[bytes] = []
    assert memo.get_or_build("k", _counting(b"v", calls)) == b"v"  # first sight: not kept
    assert "k" not in memo and materialised == []
    assert memo.get_or_build("k", _counting(b"v", calls)) == b"V"  # second: materialised, kept
    assert memo.get_or_build("k", _counting(b"v", calls)) == b"V"  # a hit
    assert calls == [b"v", b"v"] and materialised == [b"v"]
    for key in ("x", "y", "z"):  # only the last two first sightings are remembered
        memo.get_or_build(key, lambda: b"-")
    memo.get_or_build("x", lambda: b"-")
    assert "x" not in memo
    memo.get_or_build("z", lambda: b"-")
    assert "z" in memo


def test_builds_run_outside_the_lock() -> None:
    memo: ByteMemo[str, bytes] = ByteMemo(100, len)
    building, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def slow() -> bytes:
        building.set()
        released.append(release.wait(timeout=60))  # False only if the other lookup blocked
        return b"slow"

    with ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(memo.get_or_build, "slow", slow)
        assert building.wait(timeout=60)
        assert memo.get_or_build("fast", lambda: b"fast") == b"fast"
        release.set()
        assert future.result() == b"slow"
    assert released == [True]


def test_concurrent_get_or_build_returns_each_keys_value() -> None:
    memo: ByteMemo[int, bytes] = ByteMemo(64 * 40, len)  # room for 64 of 200 keys
    start = threading.Barrier(8, timeout=60)  # a guard against a hang, not a timing check

    def value(key: int) -> bytes:
        return key.to_bytes(4, "big") * 10

    def worker(seed: int) -> list[tuple[int, bytes]]:
        start.wait()
        keys = [(seed * 37 + i * 11) % 200 for i in range(2000)]
        return [(k, memo.get_or_build(k, lambda k=k: value(k))) for k in keys]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = [item for part in pool.map(worker, range(8)) for item in part]
    assert len(results) == 8 * 2000
    assert all(got == value(key) for key, got in results)
    assert 0 < memo.nbytes <= memo.max_bytes
    assert memo.nbytes == len(memo) * 40


def test_image_bytes_counts_bands_and_format() -> None:
    image = pyvips.Image.black(30, 20, bands=3)
    assert image_bytes(image.cast("uchar")) == 30 * 20 * 3
    assert image_bytes(image.cast("float")) == 30 * 20 * 3 * 4
