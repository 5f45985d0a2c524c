"""Fitting user text into a box: escaping, wrapping, auto-shrink, max lines, ellipsis.

Pango does shaping, bidi, wrapping and per-glyph font fallback; this module only decides
the size and how much text to keep. The line count is read back from the rendered raster:
every line gets the same absolute line height (Pango `line_height` in Pango units), so the
ink's bottom edge says how many lines were used whatever fallback fonts were mixed in.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from xml.sax.saxutils import escape

import pyvips

from .colours import RGBA

__all__ = ["ELLIPSIS", "FittedText", "TextStyle", "escape_markup", "fit_text", "grapheme_cuts"]

ELLIPSIS = "\u2026"
# Where the last line's ink bottom sits inside its line box, as a fraction of the line height:
# baseline glyphs end at ~0.75, descenders at ~1.0, a lone dash at ~0.55. Anything past 0.45
# of a line is therefore counted as that line being used.
_LINE_INK_THRESHOLD = 0.45
_PANGO_ALIGN = {"left": "low", "centre": "centre", "right": "high"}


def escape_markup(text: str) -> str:
    """Make user text inert in Pango markup: `<b>` stays the three characters `<b>`."""
    return escape(text, {'"': "&quot;", "'": "&apos;"})


@dataclass(frozen=True, slots=True)
class TextStyle:
    families: str  # Pango family list, e.g. "Inter,Noto Sans,DejaVu Sans"
    weight: int
    size: int
    min_size: int
    line_height: float  # factor of the font size
    letter_spacing: float  # pixels
    colour: RGBA
    align: str
    max_lines: int
    ellipsis: bool

    def line_px(self, size: int) -> int:
        return max(1, round(size * self.line_height))


@dataclass(frozen=True, slots=True)
class FittedText:
    image: pyvips.Image  # RGBA, straight alpha, ink-cropped
    ink_x: int  # ink position relative to the layout origin
    ink_y: int
    size: int
    lines: int
    line_px: int
    truncated: bool
    text: str

    @property
    def height(self) -> int:
        """Logical height: the lines' boxes, which is what alignment and stacking use."""
        return self.lines * self.line_px


def _markup(text: str, style: TextStyle, size: int) -> str:
    r, g, b, a = style.colour
    attrs = [
        f'foreground="#{r:02x}{g:02x}{b:02x}"',
        f'font_weight="{style.weight}"',
        f'line_height="{style.line_px(size) * 1024}"',
        'insert_hyphens="false"',
    ]
    if a != 255:
        attrs.append(f'fgalpha="{max(1, round(a / 255 * 100))}%"')
    if style.letter_spacing:
        attrs.append(f'letter_spacing="{round(style.letter_spacing * 1024)}"')
    return f"<span {' '.join(attrs)}>{escape_markup(text)}</span>"


def _render(text: str, style: TextStyle, size: int, width: int) -> tuple[pyvips.Image, int]:
    image = pyvips.Image.text(
        _markup(text, style, size),
        font=f"{style.families} {size}",
        width=width,
        align=_PANGO_ALIGN[style.align],
        dpi=72,
        rgba=True,
        wrap="word-char",
    )
    line_px = style.line_px(size)
    bottom = int(image.get("yoffset")) + image.height
    lines = max(1, math.floor((bottom - _LINE_INK_THRESHOLD * line_px) / line_px) + 1)
    return image, lines


def grapheme_cuts(text: str) -> list[int]:
    """Indices where text may be cut without splitting a user-perceived character.

    An approximation of UAX #29 that covers what matters for an ellipsis: combining marks,
    ZWJ emoji sequences, variation selectors, skin tones, tags and flag pairs stay whole.
    """
    cuts: list[int] = []
    regional = 0
    for i in range(1, len(text)):
        c, prev = text[i], text[i - 1]
        code = ord(c)
        regional = regional + 1 if 0x1F1E6 <= ord(prev) <= 0x1F1FF else 0
        joins = (
            unicodedata.category(c) in ("Mn", "Me", "Mc")
            or c == "\u200d"
            or prev == "\u200d"
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
            or (0x1F1E6 <= code <= 0x1F1FF and regional % 2 == 1)
        )
        if not joins:
            cuts.append(i)
    cuts.append(len(text))
    return cuts


def _truncate(
    text: str, style: TextStyle, size: int, width: int, allowed: int
) -> tuple[pyvips.Image, int, str]:
    """Longest prefix (+ ellipsis) that fits in `allowed` lines, cut at words if possible."""
    suffix = ELLIPSIS if style.ellipsis else ""

    def attempt(end: int) -> tuple[pyvips.Image, int, str] | None:
        candidate = text[:end].rstrip(" ,;:.-\u2013\u2014") + suffix
        image, lines = _render(candidate, style, size, width)
        return (image, lines, candidate) if lines <= allowed else None

    def search(cuts: list[int]) -> tuple[pyvips.Image, int, str] | None:
        best, low, high = None, 0, len(cuts) - 1
        while low <= high:  # binary search: more text never takes fewer lines
            mid = (low + high) // 2
            found = attempt(cuts[mid])
            if found:
                best, low = found, mid + 1
            else:
                high = mid - 1
        return best

    words = [i for i, c in enumerate(text) if c == " " and i > 0]
    best = search(words) if words else None
    if best is None:
        best = search(grapheme_cuts(text))
    if best is None:  # not even one character fits: show the ellipsis alone
        image, lines = _render(suffix or text[:1], style, size, width)
        best = (image, lines, suffix or text[:1])
    return best


def fit_text(text: str, style: TextStyle, width: int, height: int) -> FittedText:
    """Lay `text` out in a width x height box: shrink towards min_size, then ellipsise."""
    min_size = style.min_size or style.size
    size = style.size

    def allowed(s: int) -> int:
        return max(1, min(style.max_lines, height // style.line_px(s)))

    image, lines = _render(text, style, size, width)
    while lines > allowed(size) and size > min_size:
        # Text area grows with the square of the size: jump near the answer, then step.
        estimate = math.floor(size * math.sqrt(allowed(size) / lines))
        size = max(min_size, min(size - 2, estimate))
        image, lines = _render(text, style, size, width)
    truncated = False
    if lines > allowed(size):
        image, lines, text = _truncate(text, style, size, width, allowed(size))
        truncated = True
    return FittedText(
        image=image,
        ink_x=int(image.get("xoffset")),
        ink_y=int(image.get("yoffset")),
        size=size,
        lines=min(lines, allowed(size)),
        line_px=style.line_px(size),
        truncated=truncated,
        text=text,
    )
