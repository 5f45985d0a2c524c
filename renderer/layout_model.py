"""Typed model of one template laid out for one kind (after per-kind overrides are merged).

msgspec converts the merged TOML tables into these Structs, so every key is type-checked and
unknown keys are rejected; `template.py` turns its error paths into "file, layer, key".
Geometry is in canvas pixels: `box = [x, y, width, height]`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = [
    "IMAGE_FIELDS",
    "TEXT_FIELDS",
    "Background",
    "Chip",
    "Glow",
    "ImageLayer",
    "KindLayout",
    "Layer",
    "Output",
    "Pattern",
    "ShapeLayer",
    "Stack",
    "TextLayer",
    "WhenMissing",
]

TEXT_FIELDS = ("title", "description", "tag", "author")
IMAGE_FIELDS = ("avatar", "logo", "favicon", "page_image")

Box = tuple[int, int, int, int]
# 0..1, NaN refused: a blend factor outside it makes colours out of range.
Opacity = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
# Pango's (and CSS's) weight scale: outside it the markup does not parse.
Weight = Annotated[int, msgspec.Meta(ge=100, le=1000)]
# Pixels at 1x, at most the tallest canvas (1080, the square kind): larger only costs memory.
TextSize = Annotated[int, msgspec.Meta(le=1080)]
# Pango takes spacing in 1/1024 pt as a 32-bit int: ±100 px is far past any design.
Spacing = Annotated[float, msgspec.Meta(ge=-100.0, le=100.0)]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class Chip(_Strict, frozen=True, kw_only=True):
    """A pill/rounded rectangle drawn behind a text layer, sized to the laid-out text."""

    color: str = "$accent"
    opacity: Opacity = 1.0
    padding: tuple[int, int] = (8, 16)  # vertical, horizontal
    radius: int = 999
    border: int = 0
    border_color: str = "$accent"


class WhenMissing(_Strict, frozen=True, kw_only=True):
    """Use another box when `field` is empty, e.g. author text moves left without avatar."""

    field: str
    box: Box


class TextLayer(_Strict, tag="text", tag_field="type", frozen=True, kw_only=True):
    id: str = ""
    field: str = ""
    text: str = ""  # literal text instead of a field (decorative glyphs, labels)
    box: Box
    font: str = "$font"
    weight: Weight = 400
    size: TextSize = 32
    min_size: int = 0  # 0 means "same as size": no auto-shrink
    line_height: float = 1.2
    letter_spacing: Spacing = 0.0  # pixels between glyphs
    color: str = "$text"
    opacity: Opacity = 1.0
    align: Literal["left", "centre", "right"] = "left"
    valign: Literal["top", "middle", "bottom"] = "top"
    max_lines: int = 1
    ellipsis: bool = True
    transform: Literal["none", "upper"] = "none"
    stack: str = ""
    chip: Chip | None = None
    when: str = ""  # draw only when these fields are present / absent (see ShapeLayer)
    when_missing: WhenMissing | None = None
    hidden: bool = False


class ImageLayer(_Strict, tag="image", tag_field="type", frozen=True, kw_only=True):
    id: str = ""
    field: str
    fallback: str = ""  # another image field used when `field` has no bytes
    box: Box
    fit: Literal["cover", "contain"] = "cover"
    mask: Literal["none", "circle", "rounded"] = "none"
    radius: int = 0
    border: int = 0
    border_color: str = "$background"
    align: Literal["left", "centre", "right"] = "centre"  # where `contain` puts the image
    opacity: Opacity = 1.0
    tint: str = ""  # if set, a one-colour silhouette through the image's alpha
    when: str = ""  # draw only when this field is non-empty ("!field": only when empty)
    when_missing: WhenMissing | None = None
    hidden: bool = False


class ShapeLayer(_Strict, tag="shape", tag_field="type", frozen=True, kw_only=True):
    id: str = ""
    shape: Literal["rect", "rounded", "pill", "circle"] = "rect"
    box: Box
    color: str = "$accent"
    color2: str = ""  # if set, a left-to-right gradient from color to color2
    opacity: Opacity = 1.0
    radius: int = 0
    # Draw only when this field is non-empty ("!field": only when empty); several
    # conditions separated by commas must all hold ("!logo,!favicon").
    when: str = ""
    hidden: bool = False


Layer = TextLayer | ImageLayer | ShapeLayer


class Stack(_Strict, frozen=True, kw_only=True):
    """Text layers laid out top to bottom inside `box`, skipping empty ones."""

    box: Box
    valign: Literal["top", "middle", "bottom"] = "top"
    gap: int = 24


class Glow(_Strict, frozen=True, kw_only=True):
    """A soft radial light; x, y are fractions of the canvas, radius of its width."""

    x: float
    y: float
    radius: float = 0.5
    color: str = "$accent"
    opacity: Opacity = 0.35


class Pattern(_Strict, frozen=True, kw_only=True):
    kind: Literal["dots", "grid", "lines"] = "dots"
    spacing: int = 32
    size: int = 2
    color: str = "$text"
    opacity: Opacity = 0.06


class Background(_Strict, frozen=True, kw_only=True):
    type: Literal["solid", "linear", "radial"] = "solid"
    color: str = "$background"
    stops: tuple[str, ...] = ("$background", "$background2")
    angle: float = 135.0  # degrees, CSS convention: 180 = top to bottom
    center: tuple[float, float] = (0.5, 0.5)
    glows: tuple[Glow, ...] = ()
    pattern: Pattern | None = None
    image_field: str = ""  # e.g. "page_image": photo background, gradient if absent
    scrim: float = 0.55  # darkening over a photo background, 0..1


class Output(_Strict, frozen=True, kw_only=True):
    # zlib level 6 with no row filter (see encode.py): blog 121 KB where level 2 gave 181 KB,
    # for ~6 ms more, once per card; every hit after that sends a third fewer bytes.
    png_compression: int = 6
    # A photo background (hero's page_image) may want another level; the same by default.
    photo_png_compression: int = 6
    jpeg_quality: int = 86
    webp_quality: int = 82
    avif_quality: int = 60


class KindLayout(_Strict, frozen=True, kw_only=True):
    """Everything needed to render one template at one kind."""

    width: int
    height: int
    background: Background
    layers: tuple[Layer, ...]
    stacks: dict[str, Stack] = {}
    output: Output = Output()
