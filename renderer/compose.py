"""One render: lay out the dynamic layers over the cached background and composite them.

Layers are drawn in file order over the static background. Text layers in a stack are laid
out top to bottom (empty ones skipped), then the stack is aligned in its box; every text
raster is clipped to its box plus a small bleed, so text can never wander over other
content or off the canvas, whatever a user types.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from .assets_cache import fitted_asset, photo_background
from .background import resolve_colour, static_background
from .blend import Canvas, flatten
from .colours import Palette
from .fonts import CATALOGUE, family_list
from .layout_model import ImageLayer, KindLayout, ShapeLayer, TextLayer
from .shapes import shape_image
from .text import FittedText, TextStyle
from .text_cache import fitted_text

__all__ = ["Content", "LayerReport", "compose"]

Rect = tuple[int, int, int, int]
_ROLE_FAMILIES = {"$sans": "Inter", "$serif": "Noto Serif", "$mono": "DejaVu Sans Mono"}


@dataclass(frozen=True, slots=True)
class Content:
    """What the spec and assets contribute: text per field, bytes per image field."""

    texts: dict[str, str]
    images: dict[str, bytes]
    font: str
    max_pixels: int


@dataclass(frozen=True, slots=True)
class LayerReport:
    """Layout diagnostics for one drawn layer (`ink` is where pixels were actually drawn)."""

    id: str
    type: str
    field: str
    box: Rect
    ink: Rect
    font_size: int = 0
    lines: int = 0
    truncated: bool = False
    text: str = ""


@dataclass(slots=True)
class _Placed:
    layer: TextLayer
    box: Rect
    fitted: FittedText


def _present(field: str, content: Content) -> bool:
    return bool(content.texts.get(field) or content.images.get(field))


def _wanted(when: str, content: Content) -> bool:
    """A layer's `when`: "" always, "field" if present, "!field" if absent; "a,!b": both."""
    return all(
        _present(c.strip().lstrip("!"), content) != c.strip().startswith("!")
        for c in when.split(",")
        if c.strip()
    )


def _box(layer: TextLayer | ImageLayer, content: Content) -> Rect:
    alt = layer.when_missing
    return alt.box if alt is not None and not _present(alt.field, content) else layer.box


def _style(layer: TextLayer, palette: Palette, content: Content) -> TextStyle:
    family = content.font if layer.font == "$font" else _ROLE_FAMILIES.get(layer.font, layer.font)
    generic = "mono" if layer.font == "$mono" else CATALOGUE.get(family, "sans")
    r, g, b, a = resolve_colour(layer.color, palette)
    return TextStyle(
        families=family_list(family, generic),
        weight=layer.weight,
        size=layer.size,
        min_size=layer.min_size,
        line_height=layer.line_height,
        letter_spacing=layer.letter_spacing,
        colour=(r, g, b, round(a * layer.opacity)),
        align=layer.align,
        max_lines=layer.max_lines,
        ellipsis=layer.ellipsis,
    )


def _text_of(layer: TextLayer, content: Content) -> str:
    text = layer.text or content.texts.get(layer.field, "")
    return text.upper() if layer.transform == "upper" else text


def _pad(layer: TextLayer) -> tuple[int, int]:
    return layer.chip.padding if layer.chip else (0, 0)


def _fit(
    layer: TextLayer, text: str, box: Rect, height: int, palette: Palette, content: Content
) -> FittedText:
    pad_y, pad_x = _pad(layer)
    return fitted_text(
        text, _style(layer, palette, content), box[2] - 2 * pad_x, height - 2 * pad_y
    )


def _layout_text(layout: KindLayout, palette: Palette, content: Content) -> dict[str, _Placed]:
    placed: dict[str, _Placed] = {}
    for name, stack in layout.stacks.items():
        members = [
            layer
            for layer in layout.layers
            if isinstance(layer, TextLayer)
            and layer.stack == name
            and not layer.hidden
            and _wanted(layer.when, content)
        ]
        _, sy, _, sh = stack.box
        cursor = 0
        run: list[tuple[TextLayer, Rect, FittedText]] = []
        for layer in members:
            text = _text_of(layer, content)
            remaining = sh - cursor - (stack.gap if run else 0)
            if not text or remaining <= 0:
                continue
            x, _, w, h = _box(layer, content)
            fitted = _fit(layer, text, (x, 0, w, h), min(h, remaining), palette, content)
            cursor += stack.gap if run else 0
            run.append((layer, (x, cursor, w, fitted.height + 2 * _pad(layer)[0]), fitted))
            cursor += fitted.height + 2 * _pad(layer)[0]
        offset = {"top": 0, "middle": (sh - cursor) // 2, "bottom": sh - cursor}[stack.valign]
        for member, (x, y, w, h), fitted in run:
            placed[member.id] = _Placed(member, (x, sy + offset + y, w, h), fitted)
    singles = [item for item in layout.layers if isinstance(item, TextLayer)]
    for layer in singles:
        if layer.stack or layer.hidden or not _wanted(layer.when, content):
            continue
        text = _text_of(layer, content)
        if not text:
            continue
        box = _box(layer, content)
        fitted = _fit(layer, text, box, box[3], palette, content)
        used = fitted.height + 2 * _pad(layer)[0]
        shift = {"top": 0, "middle": (box[3] - used) // 2, "bottom": box[3] - used}[layer.valign]
        placed[layer.id] = _Placed(layer, (box[0], box[1] + max(0, shift), box[2], used), fitted)
    return placed


def _clip(image: pyvips.Image, x: int, y: int, limit: Rect) -> tuple[pyvips.Image, int, int] | None:
    """Crop an overlay placed at (x, y) to the `limit` rectangle; None if nothing remains."""
    lx, ly, lw, lh = limit
    x0, y0 = max(x, lx), max(y, ly)
    x1, y1 = min(x + image.width, lx + lw), min(y + image.height, ly + lh)
    if x1 <= x0 or y1 <= y0:
        return None
    if (x0, y0, x1, y1) != (x, y, x + image.width, y + image.height):
        image = image.crop(x0 - x, y0 - y, x1 - x0, y1 - y0)
    return image, x0, y0


def _intersect(a: Rect, b: Rect) -> Rect:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def compose(
    template: str, kind: str, layout: KindLayout, palette: Palette, content: Content
) -> tuple[Canvas, list[LayerReport]]:
    """Draw one card; returns the RGB canvas and what each layer did."""
    canvas: Rect = (0, 0, layout.width, layout.height)
    photo = content.images.get(layout.background.image_field or "-")
    shapes = frozenset(
        layer.id
        for layer in layout.layers
        if isinstance(layer, ShapeLayer) and not layer.hidden and _wanted(layer.when, content)
    )
    if photo:
        base = photo_background(
            photo,
            layout.width,
            layout.height,
            resolve_colour("$background", palette),
            layout.background.scrim,
            content.max_pixels,
        )
    else:
        base = static_background(template, kind, layout, palette, shapes)
    placed = _layout_text(layout, palette, content)
    overlays: list[tuple[pyvips.Image, int, int]] = []
    reports: list[LayerReport] = []
    for layer in layout.layers:
        if layer.hidden:
            continue
        if isinstance(layer, ShapeLayer):
            if layer.id not in shapes:
                continue
            reports.append(LayerReport(layer.id, "shape", "", layer.box, layer.box))
            if not photo:
                continue  # already baked into the cached background
            x, y, w, h = layer.box
            colour2 = resolve_colour(layer.color2, palette) if layer.color2 else None
            image = shape_image(
                layer.shape,
                w,
                h,
                resolve_colour(layer.color, palette),
                colour2,
                layer.opacity,
                layer.radius,
            )
            overlays.append((image, x, y))
        elif isinstance(layer, ImageLayer):
            field = layer.field if content.images.get(layer.field) else layer.fallback
            data = content.images.get(field) if field else None
            if not data or not _wanted(layer.when, content):
                continue
            x, y, w, h = _box(layer, content)
            image = fitted_asset(
                field,
                data,
                (w, h),
                fit=layer.fit,
                mask=layer.mask,
                radius=layer.radius,
                border=layer.border,
                border_colour=resolve_colour(layer.border_color, palette),
                opacity=layer.opacity,
                tint=resolve_colour(layer.tint, palette) if layer.tint else None,
                max_pixels=content.max_pixels,
            )
            ix = (
                x
                + {"left": 0, "centre": (w - image.width) // 2, "right": w - image.width}[
                    layer.align
                ]
            )
            iy = y + (h - image.height) // 2
            overlays.append((image, ix, iy))
            ink = (ix, iy, image.width, image.height)
            reports.append(LayerReport(layer.id, "image", field, (x, y, w, h), ink))
        elif layer.id in placed:
            item = placed[layer.id]
            fitted, (bx, by, bw, bh) = item.fitted, item.box
            pad_y, pad_x = _pad(layer)
            ox, oy = bx + pad_x + fitted.ink_x, by + pad_y + fitted.ink_y
            bleed = max(4, round(fitted.size * 0.25))
            limit = _intersect((bx - bleed, by - bleed, bw + 2 * bleed, bh + 2 * bleed), canvas)
            if layer.chip:
                chip = layer.chip
                cw, ch = fitted.image.width + 2 * pad_x, fitted.image.height + 2 * pad_y
                shape = shape_image(
                    "rounded",
                    cw,
                    ch,
                    resolve_colour(chip.color, palette),
                    None,
                    chip.opacity,
                    chip.radius,
                )
                overlays.append((shape, ox - pad_x, oy - pad_y))
                limit = _intersect((ox - pad_x, oy - pad_y, cw, ch), canvas)
            clipped = _clip(fitted.image, ox, oy, limit)
            if clipped is None:
                continue
            overlays.append(clipped)
            image, cx, cy = clipped
            reports.append(
                LayerReport(
                    layer.id,
                    "text",
                    layer.field,
                    (bx, by, bw, bh),
                    (cx, cy, image.width, image.height),
                    fitted.size,
                    fitted.lines,
                    fitted.truncated,
                    fitted.text,
                )
            )
    visible = [_clip(image, x, y, canvas) for image, x, y in overlays]
    return flatten(base, [item for item in visible if item is not None]), reports
