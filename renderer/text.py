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

import pyvips

from .colours import RGBA

__all__ = [
    "ELLIPSIS",
    "FittedText",
    "TextStyle",
    "base_direction",
    "escape_markup",
    "fit_text",
    "grapheme_cuts",
]

ELLIPSIS = "\u2026"
# Where the last line's ink bottom sits inside its line box, as a fraction of the line height:
# baseline glyphs end at ~0.75, descenders at ~1.0, a lone dash at ~0.55. Anything past 0.45
# of a line is therefore counted as that line being used.
_LINE_INK_THRESHOLD = 0.45
_PANGO_ALIGN = {"left": "low", "centre": "centre", "right": "high"}
# Balanced wrapping (CSS `text-wrap: balance`) kicks in when the last line is shorter than
# this fraction of the widest one: a lone word or two hanging under a full line.
_ORPHAN_RATIO = 0.5
_BALANCE_PROBES = 5
# A table, not xml.sax.saxutils: that module imports urllib.request (25 ms of every cold start).
_MARKUP_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
)


def escape_markup(text: str) -> str:
    """Make user text inert in Pango markup: `<b>` stays the three characters `<b>`."""
    return text.translate(_MARKUP_ENTITIES)


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


def base_direction(text: str) -> str:
    """ "rtl" or "ltr" from the first strong character, as Pango decides a paragraph's."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def _render(text: str, style: TextStyle, size: int, width: int) -> tuple[pyvips.Image, int]:
    try:
        image = pyvips.Image.text(
            _markup(text, style, size),
            font=f"{style.families} {size}",
            width=width,
            align=_PANGO_ALIGN[style.align],
            dpi=72,
            rgba=True,
            wrap="word-char",
        )
    except pyvips.Error as exc:
        # Text with no ink at all (a lone soft hyphen, zero-width spaces) is one empty line,
        # not a failed card; libvips refuses to make an image of it.
        if "no text to render" not in exc.detail:
            raise
        image = pyvips.Image.black(1, 1, bands=4).copy(interpretation="srgb")
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


_INKED = bytes(0 if v < 32 else 1 for v in range(256))  # alpha -> "is ink" lookup table


def _line_widths(image: pyvips.Image, lines: int, line_px: int) -> list[int]:
    """Ink width of each laid-out line, read from three rows of the raster's alpha.

    The rows sit in the middle of each line box (around the x-height), where neither the
    ascenders of the next line nor the descenders of the previous one reach. Rows are
    fetched through a region (no pipeline, ~6 us each) and scanned with bytes methods; a
    libvips pipeline per line (find_trim) cost ~2 ms each, reading the whole alpha ~0.4 ms.
    """
    width, top = image.width, int(image.get("yoffset"))
    region = pyvips.Region.new(image)
    widths = []
    for k in range(lines):
        left, right = width, -1
        for frac in (0.45, 0.55, 0.65):
            y = round((k + frac) * line_px) - top
            if 0 <= y < image.height:
                row = bytes(region.fetch(0, y, width, 1))[3::4].translate(_INKED)
                first = row.find(1)
                if first >= 0:
                    left, right = min(left, first), max(right, row.rfind(1))
        widths.append(max(0, right - left + 1))
    return widths


def _balance(
    text: str, style: TextStyle, size: int, width: int, image: pyvips.Image, lines: int
) -> tuple[pyvips.Image, int]:
    """Narrowest layout width (within a few probes) that keeps the same number of lines.

    Like CSS `text-wrap: balance`, but only when the last line is an orphan (shorter than
    half the widest), so most titles cost no extra layout. Returns the original if no
    narrower width keeps the line count.
    """
    widths = _line_widths(image, lines, style.line_px(size))
    if lines < 2 or widths[-1] >= _ORPHAN_RATIO * max(widths):
        return image, width
    # Binary search on the width: `high` always keeps the line count, and no layout is
    # narrower than the average line (`low`). Within about two words (2 x size) is enough.
    best, low, high = (image, width), sum(widths) // lines, width
    probe = math.ceil(sum(widths) / lines * 1.06) + size // 2  # usually right first time
    for _ in range(_BALANCE_PROBES):
        if probe >= high or high - low <= 2 * size:
            break
        candidate, count = _render(text, style, size, probe)
        if count == lines:
            best, high = (candidate, probe), probe
        else:
            low = probe
        probe = (low + high + 1) // 2
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
    truncated, used = False, width
    if lines > allowed(size):
        image, lines, text = _truncate(text, style, size, width, allowed(size))
        truncated = True
    elif lines >= 2:
        image, used = _balance(text, style, size, width, image, lines)
    ink_x = int(image.get("xoffset"))
    if style.align != "centre" and base_direction(text) == "rtl":
        # Pango mirrors alignment for right-to-left paragraphs; keep the block where the
        # template anchors it (lines stay flush right among themselves).
        ink_x = used - ink_x - image.width
    ink_x += {"left": 0, "centre": (width - used) // 2, "right": width - used}[style.align]
    return FittedText(
        image=image,
        ink_x=ink_x,
        ink_y=int(image.get("yoffset")),
        size=size,
        lines=min(lines, allowed(size)),
        line_px=style.line_px(size),
        truncated=truncated,
        text=text,
    )
