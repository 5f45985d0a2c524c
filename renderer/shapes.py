"""Antialiased masks and filled shapes, memoised because templates reuse a few sizes.

Masks are signed-distance fields evaluated by libvips: alpha = clamp(0.5 - distance), which
gives a one-pixel smooth edge at any size without supersampling.
"""

from __future__ import annotations

import functools

import pyvips

from .colours import RGBA

__all__ = ["fill", "rounded_mask", "shape_image", "solid"]


@functools.lru_cache(maxsize=256)
def rounded_mask(width: int, height: int, radius: int) -> pyvips.Image:
    """One-band uchar mask of a rounded rectangle; radius >= min(w, h)/2 gives a pill/circle."""
    radius = max(0, min(radius, width // 2, height // 2))
    if radius == 0:
        return pyvips.Image.black(width, height).new_from_image(255).cast("uchar")
    xy = pyvips.Image.xyz(width, height) + 0.5
    # Distance from the pixel centre to the inner rectangle shrunk by `radius`.
    qx = (xy[0] - width / 2).abs() - (width / 2 - radius)
    qy = (xy[1] - height / 2).abs() - (height / 2 - radius)
    outside = (qx.maxpair(0) ** 2 + qy.maxpair(0) ** 2) ** 0.5
    inside = qx.maxpair(qy).minpair(0)
    distance = outside + inside - radius
    alpha = ((0.5 - distance).maxpair(0).minpair(1) * 255).cast("uchar")
    return alpha.copy_memory()


def solid(width: int, height: int, colour: RGBA) -> pyvips.Image:
    """An opaque-or-translucent RGBA block of one colour."""
    return (
        pyvips.Image.black(width, height, bands=4)
        .new_from_image(list(colour))
        .cast("uchar")
        .copy(interpretation="srgb")
    )


def fill(mask: pyvips.Image, colour: RGBA, colour2: RGBA | None = None) -> pyvips.Image:
    """Colour (or a left-to-right gradient) through a one-band mask -> RGBA."""
    width, height = mask.width, mask.height
    if colour2 is None:
        rgb = pyvips.Image.black(width, height, bands=3).new_from_image(list(colour[:3]))
    else:
        t = pyvips.Image.xyz(width, height)[0] / max(1, width - 1)
        rgb = t * [b - a for a, b in zip(colour[:3], colour2[:3], strict=True)] + list(colour[:3])
    alpha = mask * (colour[3] / 255)
    return rgb.bandjoin(alpha).cast("uchar").copy(interpretation="srgb")


@functools.lru_cache(maxsize=256)
def shape_image(
    shape: str,
    width: int,
    height: int,
    colour: RGBA,
    colour2: RGBA | None,
    opacity: float,
    radius: int,
) -> pyvips.Image:
    """A template shape as an RGBA image, rendered once per distinct geometry and colour."""
    if shape == "rect":
        radius = 0
    elif shape in ("pill", "circle"):
        radius = max(width, height)
    mask = rounded_mask(width, height, radius)
    r, g, b, a = colour
    image = fill(mask, (r, g, b, round(a * opacity)), colour2)
    return image.copy_memory()
