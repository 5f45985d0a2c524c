"""Static backgrounds: gradients, glows, patterns and shapes, built once.

Everything here depends only on (template, kind, palette, which shapes apply), never on
the spec's text or assets, so the result is a flat RGB raster cached in a byte-bounded LRU
and each render starts from it instead of recomputing 750k gradient pixels.
"""

from __future__ import annotations

import math

import pyvips

from .colours import RGBA, Palette, parse_hex
from .layout_model import Background, KindLayout, ShapeLayer
from .memo import ByteMemo, image_bytes
from .shapes import shape_image

__all__ = ["BACKGROUND_CACHE_BYTES", "resolve_colour", "static_background"]

BACKGROUND_CACHE_BYTES = 96 * 1024 * 1024
_SMOOTH_FACTOR = 4

_memo: ByteMemo[tuple[object, ...], pyvips.Image] = ByteMemo(BACKGROUND_CACHE_BYTES, image_bytes)


def resolve_colour(ref: str, palette: Palette) -> RGBA:
    """`$role` from the palette, or a literal hex colour (validated at template load)."""
    return palette[ref[1:]] if ref.startswith("$") else parse_hex(ref)


def _lut(stops: list[RGBA]) -> pyvips.Image:
    """A 256-entry colour table interpolating evenly spaced stops."""
    entries: list[list[int]] = []
    segments = len(stops) - 1
    for i in range(256):
        t = i / 255 * segments
        k = min(int(t), segments - 1)
        f = t - k
        a, b = stops[k], stops[k + 1]
        entries.append([round(a[c] + (b[c] - a[c]) * f) for c in range(3)])
    channels = [pyvips.Image.new_from_array([[e[c] for e in entries]]) for c in range(3)]
    return channels[0].bandjoin(channels[1:]).cast("uchar").copy(interpretation="srgb")


def _paint(bg: Background, palette: Palette, width: int, height: int) -> pyvips.Image:
    if bg.type == "solid":
        colour = resolve_colour(bg.color, palette)
        return pyvips.Image.black(width, height, bands=3).new_from_image(list(colour[:3]))
    xy = pyvips.Image.xyz(width, height)
    if bg.type == "linear":
        # CSS semantics: 0deg points up, 90deg right; the gradient line spans the box.
        angle = math.radians(bg.angle)
        dx, dy = math.sin(angle), -math.cos(angle)
        length = abs(width * dx) + abs(height * dy)
        t = ((xy[0] - width / 2) * dx + (xy[1] - height / 2) * dy) / length + 0.5
    else:
        cx, cy = bg.center[0] * width, bg.center[1] * height
        reach = max(math.hypot(x - cx, y - cy) for x in (0, width) for y in (0, height))
        t = ((xy[0] - cx) ** 2 + (xy[1] - cy) ** 2) ** 0.5 / reach
    index = (t.maxpair(0).minpair(1) * 255).cast("uchar")
    stops = [resolve_colour(s, palette) for s in bg.stops]
    return index.maplut(_lut(stops)).cast("float")


def _glows(image: pyvips.Image, bg: Background, palette: Palette) -> pyvips.Image:
    width, height = image.width, image.height
    xy = pyvips.Image.xyz(width, height)
    for glow in bg.glows:
        colour = resolve_colour(glow.color, palette)
        radius = glow.radius * width
        d = ((xy[0] - glow.x * width) ** 2 + (xy[1] - glow.y * height) ** 2) ** 0.5
        # Smoothstep falloff: no visible rim where the glow ends.
        f = (1 - d / radius).maxpair(0)
        alpha = f * f * (3 - 2 * f) * glow.opacity
        image = image * (1 - alpha) + alpha * list(colour[:3])
    return image


def _pattern(image: pyvips.Image, bg: Background, palette: Palette) -> pyvips.Image:
    pattern = bg.pattern
    if pattern is None:
        return image
    step, size = max(4, pattern.spacing), max(1, pattern.size)
    tile = pyvips.Image.black(step, step)
    if pattern.kind == "dots":
        tile = tile.draw_circle(255, step // 2, step // 2, size, fill=True)
    elif pattern.kind == "grid":
        tile = tile.draw_rect(255, 0, 0, step, size, fill=True)
        tile = tile.draw_rect(255, 0, 0, size, step, fill=True)
    else:
        tile = tile.draw_rect(255, 0, 0, step, size, fill=True)
    reps_x, reps_y = image.width // step + 1, image.height // step + 1
    mask = tile.replicate(reps_x, reps_y).crop(0, 0, image.width, image.height)
    colour = resolve_colour(pattern.color, palette)
    alpha = mask / 255 * pattern.opacity
    return image * (1 - alpha) + alpha * list(colour[:3])


def _smooth(bg: Background, palette: Palette, width: int, height: int) -> pyvips.Image:
    """Gradient and glows, computed at a quarter of the size and upsampled.

    Both are smooth (a piecewise-linear colour table, smoothstep glows), so the upsampled
    raster is within two levels of 255 of the full-size one, while the float pipeline (a
    square root per glow per pixel) runs over 16x fewer pixels: it was most of a card's
    first render for each template, palette and kind, and so of the CLI's cold start.
    """
    if bg.type == "solid":
        return _paint(bg, palette, width, height).cast("uchar")
    small_w, small_h = -(-width // _SMOOTH_FACTOR), -(-height // _SMOOTH_FACTOR)
    small = _glows(_paint(bg, palette, small_w, small_h).cast("float"), bg, palette)
    small = (small + 0.5).cast("uchar")  # round once, at the small size
    # Linear across, repeated down: each small row becomes _SMOOTH_FACTOR identical rows,
    # which deflate sends as back-references (PNG 17% smaller and 3-4 ms faster to encode
    # for the blog card) while adjacent rows still differ by at most one level, as at full
    # size, so no step is coarser than 8-bit banding already is.
    wide = small.resize(_SMOOTH_FACTOR, vscale=1, kernel="linear")
    return wide.zoom(1, _SMOOTH_FACTOR).crop(0, 0, width, height)


def _build(layout: KindLayout, palette: Palette, shapes: frozenset[str]) -> pyvips.Image:
    bg = layout.background
    image = _pattern(_smooth(bg, palette, layout.width, layout.height), bg, palette)
    image = image.cast("uchar").copy(interpretation="srgb")
    # Shapes depend only on which fields are present: bake them in, under text and images.
    overlays, xs, ys = [], [], []
    for layer in layout.layers:
        if isinstance(layer, ShapeLayer) and layer.id in shapes:
            x, y, w, h = layer.box
            colour2 = resolve_colour(layer.color2, palette) if layer.color2 else None
            overlays.append(
                shape_image(
                    layer.shape,
                    w,
                    h,
                    resolve_colour(layer.color, palette),
                    colour2,
                    layer.opacity,
                    layer.radius,
                )
            )
            xs.append(x)
            ys.append(y)
    if overlays:
        image = image.composite(overlays, "over", x=xs, y=ys)[0:3].cast("uchar")
    return image.copy(interpretation="srgb").copy_memory()


def static_background(
    template: str, kind: str, layout: KindLayout, palette: Palette, shapes: frozenset[str]
) -> pyvips.Image:
    """The cached background for this template/kind/palette with these shapes drawn.

    `palette` includes the spec's colour overrides; `shapes` is the set of shape ids whose
    `when` condition holds for this spec (a handful of combinations per template at most).
    """
    key = (template, kind, palette, shapes)
    return _memo.get_or_build(key, lambda: _build(layout, palette, shapes))
