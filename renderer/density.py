"""A kind's layout at a device pixel ratio: every length in the template multiplied.

`dpr=2` draws the same card on a canvas twice as wide and high (2400x1260 for og), for
screens that show previews at 2x. Lengths are the geometry keys of layout_model (boxes,
sizes, radii, borders, gaps, paddings, spacings); ratios stay as they are (opacity,
line_height, angles, the fractions that place glows), so the 2x card is the 1x card, sharper.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from .layout_model import KindLayout

__all__ = ["DPRS", "at_density"]

#: The densities a spec may ask for.
DPRS: tuple[int, ...] = (1, 2)

_LENGTHS = frozenset(
    {"box", "size", "min_size", "radius", "border", "gap", "spacing", "padding", "width", "height"}
)
S = TypeVar("S", bound=msgspec.Struct)
# Scaling walks every layer (~2 ms for blog): keep the result per layout object. The entry
# holds the layout itself, so an id is never reused while its entry lives.
_MEMO_ENTRIES = 512
_memo: dict[tuple[int, int], tuple[KindLayout, KindLayout]] = {}


def _length(value: Any, factor: int) -> Any:
    # Only integers are lengths: Glow.radius is a float fraction of the canvas width.
    if isinstance(value, int) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return tuple(v * factor for v in value)
    return value


def _value(name: str, value: Any, factor: int) -> Any:
    if isinstance(value, msgspec.Struct):
        return _struct(value, factor)
    if isinstance(value, tuple) and value and isinstance(value[0], msgspec.Struct):
        return tuple(_struct(item, factor) for item in value)
    if isinstance(value, dict):
        return {key: _value(name, item, factor) for key, item in value.items()}
    if name == "letter_spacing":
        return value * factor
    return _length(value, factor) if name in _LENGTHS else value


def _struct(obj: S, factor: int) -> S:
    changes = {
        field.name: _value(field.name, getattr(obj, field.name), factor)
        for field in msgspec.structs.fields(obj)
    }
    return msgspec.structs.replace(obj, **changes)


def at_density(layout: KindLayout, dpr: int) -> KindLayout:
    """`layout` with every length times `dpr` (the same object for 1)."""
    if dpr == 1:
        return layout
    if dpr not in DPRS:
        raise ValueError(f"dpr must be one of {DPRS}")
    key = (id(layout), dpr)
    hit = _memo.get(key)
    if hit is not None and hit[0] is layout:
        return hit[1]
    if len(_memo) >= _MEMO_ENTRIES:
        _memo.clear()  # custom templates come and go; the built-ins are back in a few renders
    scaled = _struct(layout, dpr)
    _memo[key] = (layout, scaled)
    return scaled
