"""Colours as RGBA tuples, palettes, and the palette-reference syntax used by templates.

Templates never hard-code brand colours: they say `$text`, `$accent`… and the palette
(plus the spec's colour overrides) decides. Derived roles (`muted`, `surface`, `on_accent`)
are recomputed from overrides so a custom background never leaves grey-on-grey text.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "RGBA",
    "ROLES",
    "Palette",
    "contrast_ratio",
    "mix",
    "parse_hex",
    "to_hex",
]

RGBA = tuple[int, int, int, int]

#: Every palette defines these roles; templates reference them as `$role`.
ROLES: tuple[str, ...] = (
    "background",
    "background2",
    "surface",
    "text",
    "muted",
    "accent",
    "accent2",
    "on_accent",
)


def parse_hex(value: str) -> RGBA:
    """`#rgb`, `#rrggbb` or `#rrggbbaa` -> (r, g, b, a); ValueError otherwise."""
    digits = value.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) == 6:
        digits += "ff"
    if len(digits) != 8 or not value.strip().startswith("#"):
        raise ValueError(f"{value!r} is not a #rgb, #rrggbb or #rrggbbaa colour")
    n = int(digits, 16)
    return ((n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)


def to_hex(colour: RGBA) -> str:
    r, g, b, a = colour
    return f"#{r:02x}{g:02x}{b:02x}" + ("" if a == 255 else f"{a:02x}")


def mix(a: RGBA, b: RGBA, t: float) -> RGBA:
    """Linear blend from a (t=0) to b (t=1) in sRGB space, opaque result."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
        255,
    )


def _luminance(c: RGBA) -> float:
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])


def contrast_ratio(a: RGBA, b: RGBA) -> float:
    """WCAG contrast ratio, 1..21."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


_WHITE: RGBA = (255, 255, 255, 255)
_INK: RGBA = (17, 17, 17, 255)


def _readable_on(bg: RGBA) -> RGBA:
    return _WHITE if contrast_ratio(_WHITE, bg) >= contrast_ratio(_INK, bg) else _INK


@dataclass(frozen=True, slots=True)
class Palette:
    """A resolved set of role colours; hashable so it can key the background cache."""

    name: str
    colours: tuple[tuple[str, RGBA], ...]

    def __getitem__(self, role: str) -> RGBA:
        for key, value in self.colours:
            if key == role:
                return value
        raise KeyError(role)

    def with_overrides(self, background: str, text: str, accent: str) -> Palette:
        """Apply the spec's colour fields and re-derive the roles that depend on them."""
        roles = dict(self.colours)
        if background:
            bg = parse_hex(background)
            bg = mix(_WHITE, bg, bg[3] / 255)  # cards are opaque: flatten over white
            roles["background"] = bg
            roles["background2"] = mix(bg, _readable_on(bg), 0.08)
            roles["surface"] = mix(bg, _readable_on(bg), 0.10)
            if not text and contrast_ratio(roles["text"], bg) < 4.5:
                # A custom background must not leave the palette's text unreadable.
                roles["text"] = _readable_on(bg)
                roles["muted"] = mix(roles["text"], bg, 0.32)
            elif not text:
                roles["muted"] = mix(roles["text"], bg, 0.32)
        if text:
            roles["text"] = parse_hex(text)
            roles["muted"] = mix(roles["text"], roles["background"], 0.32)
        if accent:
            roles["accent"] = parse_hex(accent)
            roles["accent2"] = mix(roles["accent"], _readable_on(roles["background"]), 0.35)
            roles["on_accent"] = _readable_on(roles["accent"])
        return Palette(self.name, tuple((r, roles[r]) for r in ROLES))
