"""Encoding the canvas: PNG by default, JPEG / WebP / AVIF on request, under a byte budget.

Settings are chosen by measurement (see `ogedge bench render` and the README, Rendering and Performance):
PNG at zlib level 1-3 with no filter is 2-4 ms for a 1200x630 card; palette quantisation
was 60-250 ms and full-effort levels 3x slower for ~30% fewer bytes, so neither is used by
default. Metadata is never written (keep="none"), which also keeps output byte-identical
for identical pixels.
"""

from __future__ import annotations

import pyvips

from .errors import RenderError
from .layout_model import Output

__all__ = ["MAX_OUTPUT_BYTES", "MEDIA_TYPES", "encode"]

#: X (Twitter) rejects card images over 5 MB; nothing we emit may exceed it.
MAX_OUTPUT_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "avif": "image/avif",
}


def _once(image: pyvips.Image, fmt: str, level: int) -> bytes:
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


def encode(image: pyvips.Image, fmt: str, output: Output, budget: int = MAX_OUTPUT_BYTES) -> bytes:
    """Encode within `budget` bytes, stepping to stronger settings only when needed."""
    if fmt == "png":
        ladder = [output.png_compression, 6, 9]
    else:
        start = {
            "jpeg": output.jpeg_quality,
            "webp": output.webp_quality,
            "avif": output.avif_quality,
        }[fmt]
        ladder = [start, *(q for q in (70, 55, 40, 25) if q < start)]
    data = b""
    for level in ladder:
        data = _once(image, fmt, level)
        if len(data) <= budget:
            return data
    if fmt == "png":
        # A lossless PNG cannot shrink further; a JPEG of the same pixels always fits.
        raise RenderError(f"PNG of {len(data)} bytes exceeds the {budget}-byte budget")
    return data
