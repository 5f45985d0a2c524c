"""The documented font catalogue, intersected with what fontconfig actually has.

Users pick `font` from `available_fonts()`. Every family resolves to a Pango family *list*
ending in DejaVu, which every Debian-ish system has, so a missing family degrades to a
similar generic face instead of failing; missing glyphs (emoji, CJK, Arabic…) are then
found by fontconfig's own per-character fallback, never drawn as boxes.
"""

from __future__ import annotations

import bisect
import functools
import shutil
import subprocess
import unicodedata

import pyvips

__all__ = [
    "CATALOGUE",
    "available_fonts",
    "family_list",
    "installed_families",
    "missing_glyphs",
]

#: family -> generic class. Order is the order `available_fonts()` lists them in.
CATALOGUE: dict[str, str] = {
    "Inter": "sans",
    "Inter Display": "sans",
    "Noto Sans": "sans",
    "Noto Serif": "serif",
    "Noto Serif Display": "serif",
    "DejaVu Sans": "sans",
    "DejaVu Serif": "serif",
    "DejaVu Sans Mono": "mono",
    "Noto Sans CJK SC": "sans",
    "Noto Sans Arabic": "sans",
    "Noto Sans Hebrew": "sans",
}

_GENERIC_FALLBACKS: dict[str, tuple[str, ...]] = {
    "sans": ("Inter", "Noto Sans", "DejaVu Sans"),
    "serif": ("Noto Serif", "DejaVu Serif"),
    "mono": ("DejaVu Sans Mono", "Noto Sans Mono"),
}


@functools.cache
def installed_families() -> frozenset[str]:
    """Families fontconfig knows, read once per process."""
    fc_list = shutil.which("fc-list")
    if fc_list:
        try:
            out = subprocess.run(
                [fc_list, ":", "family"], capture_output=True, text=True, timeout=10, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        names = {name.strip() for line in out.splitlines() for name in line.split(",")}
        if names - {""}:
            return frozenset(names - {""})
    return frozenset(f for f in CATALOGUE if _renders_distinctly(f))


def _renders_distinctly(family: str) -> bool:
    """Without fc-list, a family is present if it renders unlike a nonexistent one."""
    sample = "Hamburgefonstiv 0123"

    def probe(name: str) -> tuple[int, int, float]:
        image = pyvips.Image.text(sample, font=f"{name} 40", dpi=72)
        return (image.width, image.height, image.avg())

    try:
        return probe(family) != probe("ogedge-no-such-family")
    except pyvips.Error:
        return False


def available_fonts() -> list[str]:
    """Catalogue families installed here: the documented values of the spec's `font`."""
    installed = installed_families()
    found = [family for family in CATALOGUE if family in installed]
    return found or ["DejaVu Sans"]


def family_list(family: str, generic: str = "") -> str:
    """A Pango family list: the family, then installed fallbacks of its generic class."""
    kind = generic or CATALOGUE.get(family, "sans")
    chain = [family, *_GENERIC_FALLBACKS.get(kind, _GENERIC_FALLBACKS["sans"])]
    if kind != "mono":
        chain.append("DejaVu Sans")
    seen: list[str] = []
    for name in chain:
        if name not in seen and (name == "DejaVu Sans" or name in installed_families()):
            seen.append(name)
    return ",".join(seen or ["DejaVu Sans"])


@functools.cache
def _coverage() -> tuple[list[int], list[int]] | None:
    """The code points some installed font has, as merged ranges (starts, ends), read once
    from fontconfig; None when fc-list is not there (coverage unknown)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run(
            [fc_list, "--format", "%{charset}\n"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    ranges: list[tuple[int, int]] = []
    for token in out.split():
        first, _, last = token.partition("-")
        try:
            ranges.append((int(first, 16), int(last or first, 16)))
        except ValueError:
            continue
    if not ranges:
        return None
    ranges.sort()
    starts, ends = [ranges[0][0]], [ranges[0][1]]
    for low, high in ranges[1:]:
        if low <= ends[-1] + 1:
            ends[-1] = max(ends[-1], high)
        else:
            starts.append(low)
            ends.append(high)
    return starts, ends


def _drawn(char: str) -> bool:
    """Whether `char` needs a glyph of its own (not a space, control, joiner or selector)."""
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return False
    return unicodedata.category(char)[0] not in ("Z", "C")


def missing_glyphs(text: str) -> str:
    """The characters of `text` that no installed font has, each once and in order: Pango
    draws them as boxes. Empty when every character is covered or coverage is unknown."""
    coverage = _coverage()
    if coverage is None:
        return ""
    starts, ends = coverage
    missing: list[str] = []
    for char in dict.fromkeys(text):
        if not _drawn(char):
            continue
        i = bisect.bisect_right(starts, ord(char)) - 1
        if i < 0 or ord(char) > ends[i]:
            missing.append(char)
    return "".join(missing)
