"""Checks of a template: the raw tables' shapes before the merge (`check_shapes`), then the
semantics of a merged layout: references, ranges and boxes inside the canvas.

Types and unknown keys are already enforced by msgspec; these are the rules msgspec cannot
express. Every message starts with the location prefix it is given (file, kind, layer).
"""

from __future__ import annotations

from typing import Any

from .colours import ROLES, parse_hex
from .errors import TemplateError
from .layout_model import (
    IMAGE_FIELDS,
    TEXT_FIELDS,
    ImageLayer,
    KindLayout,
    Layer,
    ShapeLayer,
    TextLayer,
)

__all__ = ["FONT_ROLES", "check_layout", "check_shapes"]

FONT_ROLES = ("$font", "$mono", "$serif", "$sans")


def _check_colour(ref: str, where: str) -> None:
    if ref.startswith("$"):
        if ref[1:] not in ROLES:
            raise TemplateError(f"{where}: unknown palette role {ref!r}; roles: {list(ROLES)}")
        return
    try:
        parse_hex(ref)
    except ValueError as exc:
        raise TemplateError(f"{where}: {exc}") from None


def _check_box(box: tuple[int, int, int, int], layout: KindLayout, where: str) -> None:
    x, y, w, h = box
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > layout.width or y + h > layout.height:
        raise TemplateError(
            f"{where}: key 'box': {list(box)} is not inside the "
            f"{layout.width}x{layout.height} canvas"
        )


def _check_layer(layer: Layer, layout: KindLayout, where: str) -> None:
    _check_box(layer.box, layout, where)
    if isinstance(layer, TextLayer):
        if bool(layer.field) == bool(layer.text):
            raise TemplateError(f"{where}: set exactly one of 'field' or 'text'")
        if layer.field and layer.field not in TEXT_FIELDS:
            raise TemplateError(f"{where}: key 'field': must be one of {list(TEXT_FIELDS)}")
        if layer.size <= 0 or not 0 <= layer.min_size <= layer.size:
            raise TemplateError(f"{where}: key 'min_size': need 0 <= min_size <= size, size > 0")
        if layer.max_lines < 1 or not 0.8 <= layer.line_height <= 3:
            raise TemplateError(f"{where}: key 'max_lines'/'line_height' out of range")
        if layer.stack and layer.stack not in layout.stacks:
            raise TemplateError(f"{where}: key 'stack': no stack named {layer.stack!r}")
        if layer.font.startswith("$") and layer.font not in FONT_ROLES:
            raise TemplateError(f"{where}: key 'font': use a family or one of {FONT_ROLES}")
        _check_colour(layer.color, f"{where}: key 'color'")
        if layer.chip:
            _check_colour(layer.chip.color, f"{where}: key 'chip.color'")
            _check_colour(layer.chip.border_color, f"{where}: key 'chip.border_color'")
    elif isinstance(layer, ImageLayer):
        for key, value in (("field", layer.field), ("fallback", layer.fallback)):
            if value and value not in IMAGE_FIELDS:
                raise TemplateError(f"{where}: key {key!r}: must be one of {list(IMAGE_FIELDS)}")
        _check_colour(layer.border_color, f"{where}: key 'border_color'")
        if layer.tint:
            _check_colour(layer.tint, f"{where}: key 'tint'")
    elif isinstance(layer, ShapeLayer):
        _check_colour(layer.color, f"{where}: key 'color'")
        if layer.color2:
            _check_colour(layer.color2, f"{where}: key 'color2'")
    for condition in layer.when.split(",") if layer.when else ():
        if condition.strip().lstrip("!") not in TEXT_FIELDS + IMAGE_FIELDS:
            raise TemplateError(f"{where}: key 'when': unknown field {condition!r}")
    if not isinstance(layer, ShapeLayer) and layer.when_missing is not None:
        if layer.when_missing.field not in TEXT_FIELDS + IMAGE_FIELDS:
            raise TemplateError(f"{where}: key 'when_missing.field': unknown field")
        _check_box(layer.when_missing.box, layout, f"{where}: when_missing")


def check_layout(layout: KindLayout, where: str) -> None:
    bg = layout.background
    for ref in (bg.color, *bg.stops, *(g.color for g in bg.glows)):
        _check_colour(ref, f"{where}: background")
    if bg.type != "solid" and len(bg.stops) < 2:
        raise TemplateError(f"{where}: background: key 'stops': need at least two colours")
    if bg.image_field and bg.image_field not in IMAGE_FIELDS:
        raise TemplateError(f"{where}: background: key 'image_field': unknown image field")
    for name, stack in layout.stacks.items():
        _check_box(stack.box, layout, f"{where}: stack {name!r}")
    seen: set[str] = set()
    for layer in layout.layers:
        lw = f"{where}: layer {layer.id!r}"
        if layer.id in seen:
            raise TemplateError(f"{lw}: duplicate layer id")
        seen.add(layer.id)
        _check_layer(layer, layout, lw)
    if not 0 <= layout.output.png_compression <= 9:
        raise TemplateError(f"{where}: output: key 'png_compression': must be 0..9")
    if not 0 <= layout.output.photo_png_compression <= 9:
        raise TemplateError(f"{where}: output: key 'photo_png_compression': must be 0..9")


def check_shapes(raw: dict[str, Any], filename: str) -> None:
    """The tables the merge walks must be tables (an upload can say `layers = 3`): checked
    first, so a wrong shape is a TemplateError naming its key, never a crash in the merge."""

    def table(value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise TemplateError(f"{filename}: key {key!r}: must be a table")
        return value

    def tables(value: Any, key: str) -> None:
        for name, item in table(value, key).items():
            table(item, f"{key}.{name}")

    layers = raw.get("layers", [])
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise TemplateError(f"{filename}: key 'layers': must be an array of tables ([[layers]])")
    tables(raw.get("stacks", {}), "stacks")
    table(raw.get("background", {}), "background")
    table(raw.get("output", {}), "output")
    for kind, overrides in table(raw.get("kinds", {}), "kinds").items():
        where = f"kinds.{kind}"
        table(overrides, where)
        table(overrides.get("background", {}), f"{where}.background")
        table(overrides.get("output", {}), f"{where}.output")
        tables(overrides.get("layers", {}), f"{where}.layers")
        tables(overrides.get("stacks", {}), f"{where}.stacks")
