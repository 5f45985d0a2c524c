"""`<meta name="theme-color">` values -> `#rrggbb`: hex, rgb()/rgba(), hsl()/hsla() and the
CSS named colours. Anything else (var(), color-mix(), `transparent`…) is None: a wrong colour
on a card is worse than the template's own."""

from __future__ import annotations

import colorsys
import math
import re

from proxy.scrape.named_colours import NAMED_COLOURS

__all__ = ["parse_colour"]

_HEX = re.compile(r"#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})")
_FUNC = re.compile(r"(rgba?|hsla?)\(([^()]*)\)")
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?"
_ARG = re.compile(rf"({_NUMBER})(%|deg|turn|rad|grad)?")
_HUE_UNITS: dict[str | None, float] = {
    None: 1.0,
    "deg": 1.0,
    "turn": 360.0,
    "rad": 57.29577951308232,
    "grad": 0.9,
}
_MAX_INPUT = 100  # real values are short; a 100k-character one is not worth a regex


def _clamp(value: float) -> int:
    # Half up, as browsers round 50% to 128 (round() would go to even, and 2.55 is inexact).
    return max(0, min(255, math.floor(value + 0.5)))


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(_clamp(c) for c in rgb))


def _split_args(body: str) -> list[str] | None:
    # Legacy "1, 2, 3, 0.5" and modern "1 2 3 / 50%" syntaxes alike.
    if "," in body:
        parts = [p.strip() for p in body.split(",")]
    else:
        colour, _, alpha = body.partition("/")
        parts = colour.split() + ([alpha.strip()] if alpha else [])
    return parts if all(parts) else None


def _alpha_is_zero(arg: str | None) -> bool:
    if arg is None:
        return False
    match = _ARG.fullmatch(arg)
    return match is not None and float(match.group(1)) == 0


def _rgb(args: list[str]) -> str | None:
    channels: list[float] = []
    for arg in args[:3]:
        match = _ARG.fullmatch(arg)
        if match is None or match.group(2) not in (None, "%"):
            return None
        value = float(match.group(1))
        channels.append(value * 255 / 100 if match.group(2) == "%" else value)
    return _hex((channels[0], channels[1], channels[2]))


def _hsl(args: list[str]) -> str | None:
    hue = _ARG.fullmatch(args[0])
    sat = _ARG.fullmatch(args[1])
    light = _ARG.fullmatch(args[2])
    if hue is None or sat is None or light is None:
        return None
    if hue.group(2) == "%" or sat.group(2) not in (None, "%") or light.group(2) not in (None, "%"):
        return None
    degrees = float(hue.group(1)) * _HUE_UNITS[hue.group(2)]
    s = max(0.0, min(1.0, float(sat.group(1)) / 100))
    lum = max(0.0, min(1.0, float(light.group(1)) / 100))
    r, g, b = colorsys.hls_to_rgb((degrees % 360) / 360, lum, s)
    return _hex((r * 255, g * 255, b * 255))


def parse_colour(value: str | None) -> str | None:
    """`#rrggbb` for a CSS colour we can read, else None. Alpha is dropped, except that a
    fully transparent colour is None."""
    if not value:
        return None
    text = value.strip().lower()
    if not text or len(text) > _MAX_INPUT:
        return None
    if text in NAMED_COLOURS:
        return NAMED_COLOURS[text]
    match = _HEX.fullmatch(text)
    if match:
        digits = match.group(1)
        if len(digits) <= 4:
            digits = "".join(c * 2 for c in digits)
        if len(digits) == 8 and digits[6:] == "00":
            return None
        return "#" + digits[:6]
    func = _FUNC.fullmatch(text)
    if func is None:
        return None
    args = _split_args(func.group(2))
    if args is None or len(args) not in (3, 4):
        return None
    if _alpha_is_zero(args[3] if len(args) == 4 else None):
        return None
    return _rgb(args) if func.group(1).startswith("rgb") else _hsl(args)
