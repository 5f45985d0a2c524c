"""Laid-out text rasters, reused across renders in a byte-bounded LRU.

Most cards of a project repeat their tag, author and often description; only the title
changes. Fitting text costs a Pango layout (or several, when shrinking or balancing) plus
reading the raster back, so identical (text, style, box) requests share one immutable
result. Titles that never repeat simply age out.
"""

from __future__ import annotations

from .memo import ByteMemo, image_bytes
from .text import FittedText, TextStyle, fit_text

__all__ = ["TEXT_CACHE_BYTES", "fitted_text"]

TEXT_CACHE_BYTES = 16 * 1024 * 1024

# + 512: the FittedText around the raster, so tiny rasters are not counted as free.
_memo: ByteMemo[tuple[object, ...], FittedText] = ByteMemo(
    TEXT_CACHE_BYTES, lambda f: image_bytes(f.image) + 512
)


def fitted_text(text: str, style: TextStyle, width: int, height: int) -> FittedText:
    """`fit_text`, memoised; results are immutable pyvips images, safe to share."""
    return _memo.get_or_build(
        (text, style, width, height), lambda: fit_text(text, style, width, height)
    )
