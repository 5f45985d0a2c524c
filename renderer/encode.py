"""Encoding the canvas: PNG by default, JPEG / WebP / AVIF on request, under a byte budget.

Settings are chosen by measurement (the blog card's 1200x630 canvas, median of 11-15 encodes;
README, Rendering and Performance). PNG (deflated by row bands, see png.py; measured as one
libvips encode of the whole card), no row filter, by zlib level: 2 = 5.3 ms / 150 KB,
4 = 5.6 ms / 115 KB, 6 = 8.2 ms / 101 KB, 7 = 11.2 ms / 94 KB, 8 = 17 ms / 93 KB,
9 = 24 ms / 90 KB (backgrounds repeat each row four times, which deflate finds at any
level; see background._smooth). Row filters only cost here (level 6 with `all` is 26 ms for
the same 101 KB: the repeated rows already compress, and the smooth gradients between them
defeat sub/up/paeth prediction). Palette quantisation is 66-115 ms (70-105 KB) and bands
the gradients, so it is never used. Level 6 is the default: a card is encoded once and sent
on every hit, so 14% fewer bytes than level 4 are worth its 2.6 ms. WebP by effort at q82:
0 = 19 ms / 38 KB, 1 = 20.5 ms / 30 KB, 2 = 26 ms / 28 KB, 4 = 61 ms / 27 KB; effort 2 is kept
(the smallest bytes per millisecond). Metadata is never written (keep="none"), which also
keeps output byte-identical for identical pixels.
"""

from __future__ import annotations

from .blend import Canvas
from .errors import RenderError
from .layout_model import Output
from .png import encode_png

__all__ = ["MAX_OUTPUT_BYTES", "MEDIA_TYPES", "encode"]

#: X (Twitter) rejects card images over 5 MB; nothing we emit may exceed it.
MAX_OUTPUT_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
}


def _once(canvas: Canvas, fmt: str, level: int) -> bytes:
    base = canvas.base
    if fmt == "png" and base.bands == 3 and base.format == "uchar":
        return encode_png(canvas, level)  # by row bands: see png.py
    image = canvas.image
    if fmt == "png":
        data = image.pngsave_buffer(compression=level, filter="none", keep="none")
    elif fmt == "jpeg":
        data = image.jpegsave_buffer(
            Q=level, keep="none", optimize_coding=True, subsample_mode="auto"
        )
    elif fmt == "webp":
        data = image.webpsave_buffer(Q=level, keep="none", effort=2, smart_subsample=False)
    else:
        data = image.heifsave_buffer(Q=level, keep="none", compression="av1", effort=0, bitdepth=8)
    return bytes(data)


def encode(canvas: Canvas, fmt: str, output: Output, budget: int = MAX_OUTPUT_BYTES) -> bytes:
    """Encode within `budget` bytes, stepping to stronger settings only when needed."""
    if fmt == "png":
        ladder = sorted({output.png_compression, 6, 9})
        ladder = ladder[ladder.index(output.png_compression) :]
    else:
        start = {
            "jpeg": output.jpeg_quality,
            "webp": output.webp_quality,
            "avif": output.avif_quality,
        }[fmt]
        ladder = [start, *(q for q in (70, 55, 40, 25) if q < start)]
    data = b""
    for level in ladder:
        data = _once(canvas, fmt, level)
        if len(data) <= budget:
            return data
    if fmt == "png":
        # A lossless PNG cannot shrink further; a JPEG of the same pixels always fits.
        raise RenderError(f"PNG of {len(data)} bytes exceeds the {budget}-byte budget")
    return data
