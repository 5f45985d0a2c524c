"""Laid-out text rasters, reused across renders in a byte-bounded LRU.

Most cards of a project repeat their tag, author and often description; only the title
changes. Fitting text costs a Pango layout (or several, when shrinking or balancing) plus
reading the raster back, so identical (text, style, box) requests share one immutable
result. Titles that never repeat simply age out.
"""

from __future__ import annotations

import threading

import cachetools

from .text import FittedText, TextStyle, fit_text

__all__ = ["TEXT_CACHE_BYTES", "fitted_text"]

TEXT_CACHE_BYTES = 16 * 1024 * 1024

_cache: cachetools.LRUCache[tuple[object, ...], FittedText] = cachetools.LRUCache(
    maxsize=TEXT_CACHE_BYTES,
    getsizeof=lambda f: f.image.width * f.image.height * f.image.bands + 512,
)
_lock = threading.Lock()


def fitted_text(text: str, style: TextStyle, width: int, height: int) -> FittedText:
    """`fit_text`, memoised; results are immutable pyvips images, safe to share."""
    key = (text, style, width, height)
    with _lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    fitted = fit_text(text, style, width, height)
    with _lock:
        _cache[key] = fitted
    return fitted
