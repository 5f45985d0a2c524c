"""A thread-safe get-or-build memo bounded by bytes: the one shape of every renderer cache.

Renders run on many threads, so every lookup and store takes a lock; a build never holds it,
because builds are milliseconds of libvips work that other renders need not wait for. Two
threads missing the same key may both build it: the values are equal and the last one stored
stays, which costs less than making one wait for the other.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import pyvips

__all__ = ["ByteMemo", "image_bytes"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_BAND_BYTES = {
    "uchar": 1, "char": 1, "ushort": 2, "short": 2, "uint": 4, "int": 4,
    "float": 4, "double": 8, "complex": 8, "dpcomplex": 16,
}  # fmt: skip


def image_bytes(image: pyvips.Image) -> int:
    """Pixel memory of a materialised image."""
    return int(image.width * image.height * image.bands * _BAND_BYTES[image.format])


class ByteMemo(Generic[K, V]):
    """Values by key, least recently used evicted first once their sizes pass `max_bytes`.

    `sizeof` gives a value's size in bytes; a value larger than `max_item_bytes` (default:
    `max_bytes`) is returned but not kept. With `admit_on_repeat` > 0 a value is kept only
    the second time its key is asked for (that many first sightings are remembered), so
    one-off keys never take space; `materialise` then turns the built value into the one
    kept, e.g. a lazy pyvips pipeline into pixels, a cost one-off values never pay.
    """

    def __init__(
        self,
        max_bytes: int,
        sizeof: Callable[[V], int],
        *,
        max_item_bytes: int | None = None,
        admit_on_repeat: int = 0,
        materialise: Callable[[V], V] | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        # Never above the bound: a kept item must not evict itself.
        self.max_item_bytes = (
            max_bytes if max_item_bytes is None else min(max_bytes, max_item_bytes)
        )
        self._sizeof = sizeof
        self._admit_on_repeat = admit_on_repeat
        self._materialise = materialise
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._seen: OrderedDict[K, None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The kept value for `key`, or `build()`'s (kept if admitted and small enough)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry[0]
            admitted = self._admit(key)
        value = build()
        if not admitted:
            return value
        if self._materialise is not None:
            value = self._materialise(value)
        self._keep(key, value)
        return value

    def get(self, key: K) -> V | None:
        """The kept value for `key`, or None; a miss is not counted as a sighting."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    @property
    def nbytes(self) -> int:
        """Bytes of the values kept now (as `sizeof` counts them)."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, key: K) -> bool:
        with self._lock:
            return key in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._seen.clear()
            self._bytes = 0

    def _admit(self, key: K) -> bool:
        """Whether a value built for `key` now is kept; called with the lock held."""
        if self._admit_on_repeat <= 0:
            return True
        if key in self._seen:
            del self._seen[key]
            return True
        self._seen[key] = None
        if len(self._seen) > self._admit_on_repeat:
            self._seen.popitem(last=False)
        return False

    def _keep(self, key: K, value: V) -> None:
        size = self._sizeof(value)  # outside the lock: may read pyvips properties
        if size > self.max_item_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted
