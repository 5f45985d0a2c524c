"""Decoded, fitted and masked asset images, cached by content hash and geometry.

The same logo or avatar tends to appear on every card of a project, and decoding plus
masking costs more than all the text on a card, so results are kept in a byte-bounded LRU.
"""

from __future__ import annotations

import hashlib

import pyvips

from .colours import RGBA
from .images import decode_fitted
from .memo import ByteMemo, image_bytes
from .shapes import rounded_mask, solid

__all__ = ["ASSET_CACHE_BYTES", "fitted_asset", "photo_background"]

ASSET_CACHE_BYTES = 48 * 1024 * 1024

_memo: ByteMemo[tuple[object, ...], pyvips.Image] = ByteMemo(ASSET_CACHE_BYTES, image_bytes)


def fitted_asset(
    field: str,
    data: bytes,
    box: tuple[int, int],
    *,
    fit: str,
    mask: str,
    radius: int,
    border: int,
    border_colour: RGBA,
    opacity: float,
    max_pixels: int,
    tint: RGBA | None = None,
) -> pyvips.Image:
    """RGBA image no larger than `box`, masked and bordered as the layer asks."""
    width, height = box
    digest = hashlib.sha256(data).digest()
    key = (digest, field, box, fit, mask, radius, border, border_colour, opacity, tint, max_pixels)

    def build() -> pyvips.Image:
        inner_w, inner_h = max(1, width - 2 * border), max(1, height - 2 * border)
        image = decode_fitted(
            field, data, inner_w, inner_h, crop=fit == "cover", max_pixels=max_pixels
        )
        w, h = image.width, image.height
        if tint is not None:
            colour = solid(w, h, tint)
            image = colour[0:3].bandjoin((image[3] * (tint[3] / 255)).cast("uchar"))
        if mask != "none":
            r = max(w, h) if mask == "circle" else max(0, radius - border)
            alpha = image[3] * (rounded_mask(w, h, r) / 255)
            image = image[0:3].bandjoin(alpha.cast("uchar"))
        if opacity < 1:
            image = image[0:3].bandjoin((image[3] * opacity).cast("uchar"))
        if border > 0:
            r = max(w, h) + 2 * border if mask == "circle" else radius if mask == "rounded" else 0
            outer = rounded_mask(w + 2 * border, h + 2 * border, r)
            ring = solid(w + 2 * border, h + 2 * border, border_colour)
            ring = ring[0:3].bandjoin((outer * (border_colour[3] / 255)).cast("uchar"))
            image = ring.composite2(image.copy(interpretation="srgb"), "over", x=border, y=border)
        return image.cast("uchar").copy(interpretation="srgb").copy_memory()

    return _memo.get_or_build(key, build)


def photo_background(
    data: bytes, width: int, height: int, scrim: RGBA, strength: float, max_pixels: int
) -> pyvips.Image:
    """A page image covering the canvas, darkened towards the bottom so text stays legible."""
    key = (hashlib.sha256(data).digest(), "photo", width, height, scrim, strength, max_pixels)

    def build() -> pyvips.Image:
        photo = decode_fitted("page_image", data, width, height, crop=True, max_pixels=max_pixels)
        photo = photo.flatten(background=list(scrim[:3])).cast("float")
        ramp = pyvips.Image.xyz(1, height)[1] / height
        alpha = (ramp * 0.6 + 0.4) * strength  # lighter at the top, darkest behind the text
        alpha = alpha.zoom(width, 1)
        out = photo * (1 - alpha) + alpha * list(scrim[:3])
        return out.cast("uchar").copy(interpretation="srgb").copy_memory()

    return _memo.get_or_build(key, build)
