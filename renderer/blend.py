"""Blending overlays onto the canvas, touching only the pixels they cover."""

from __future__ import annotations

import pyvips

__all__ = ["flatten"]


def _clusters(overlays: list[tuple[pyvips.Image, int, int]]) -> list[list[int]]:
    """Group overlays whose rectangles touch, so each group is blended in one region."""
    rects = [(x, y, x + im.width, y + im.height) for im, x, y in overlays]
    groups: list[tuple[list[int], list[int]]] = []  # (indices, [x0, y0, x1, y1])
    for i, (x0, y0, x1, y1) in enumerate(rects):
        merged = ([i], [x0, y0, x1, y1])
        for group in list(groups):
            gx0, gy0, gx1, gy1 = group[1]
            if x0 < gx1 and gx0 < x1 and y0 < gy1 and gy0 < y1:
                groups.remove(group)
                merged[0].extend(group[0])
                b = merged[1]
                merged = (
                    merged[0],
                    [min(b[0], gx0), min(b[1], gy0), max(b[2], gx1), max(b[3], gy1)],
                )
        groups.append(merged)
    return [sorted(indices) for indices, _ in groups]


def _blend(region: pyvips.Image, items: list[tuple[pyvips.Image, int, int]]) -> pyvips.Image:
    """`items` (offsets relative to `region`) blended "over" the opaque RGB `region`."""
    if len(items) == 1 and items[0][0].bands == 4 and items[0][0].format == "uchar":
        image, x, y = items[0]
        if (x, y, image.width, image.height) == (0, 0, region.width, region.height):
            # One straight-alpha overlay covering the region: ifthenelse's blend is
            # a * fg + (1 - a) * bg in integer arithmetic, ~20% cheaper than composite's
            # float path and two operations fewer.
            return image[3].ifthenelse(image.extract_band(0, n=3), region, blend=True)
    blended = region.composite(
        [im for im, _, _ in items], "over", x=[x for _, x, _ in items], y=[y for _, _, y in items]
    )
    return blended.extract_band(0, n=3).cast("uchar")  # one op; [0:3] would be four


def flatten(base: pyvips.Image, overlays: list[tuple[pyvips.Image, int, int]]) -> pyvips.Image:
    """Blend overlays onto the base, touching only the regions they cover.

    libvips' composite works in float on every pixel of its base, so compositing over the
    whole canvas costs ~8 ms; blending each cluster of overlapping layers on its own crop
    and inserting the result back costs a fraction, and keeps file order within a cluster.
    """
    out = base
    for indices in _clusters(overlays):
        items = [overlays[i] for i in indices]
        x0 = min(x for _, x, _ in items)
        y0 = min(y for _, _, y in items)
        x1 = max(x + im.width for im, x, _ in items)
        y1 = max(y + im.height for im, _, y in items)
        region = base.crop(x0, y0, x1 - x0, y1 - y0)
        blended = _blend(region, [(im, x - x0, y - y0) for im, x, y in items])
        out = out.insert(blended, x0, y0)
    return out.copy(interpretation="srgb")
