"""Text clean-up for card fields: collapse whitespace, drop controls, trim to the renderer's limits."""

from __future__ import annotations

import unicodedata

__all__ = ["DESCRIPTION_MAX", "TITLE_MAX", "clean_text", "fold", "truncate"]

#: The renderer's limits (renderer.spec.TEXT_LIMITS); trimmed text always fits them.
TITLE_MAX = 200
DESCRIPTION_MAX = 500

ELLIPSIS = "\u2026"
# A word boundary this far back at most; beyond it (long words, CJK without spaces) cut hard,
# since giving up a third of the text to end on a space is worse than a cut word.
_MAX_BACKTRACK = 0.3
# Joiners and selectors belong to the character before them; a cut must not strand them.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


def clean_text(value: str | None) -> str:
    """NFC, every run of whitespace as one space, control and format characters dropped
    (a zero-width joiner inside an emoji sequence is kept), trimmed."""
    if not value:
        return ""
    kept = [
        ch
        for ch in value
        if ch.isspace() or ch in _JOINERS or unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
    ]
    return unicodedata.normalize("NFC", " ".join("".join(kept).split()))


def fold(text: str) -> str:
    """`text` reduced for comparison: case-folded letters and digits only, so "Spring Menu",
    "spring menu." and "Spring-menu" compare equal."""
    return "".join(filter(str.isalnum, text.casefold()))


def _is_mark(ch: str) -> bool:
    return ch in _JOINERS or unicodedata.category(ch).startswith("M")


def truncate(value: str, limit: int) -> str:
    """`value` if it fits, else a prefix ending at a word boundary plus an ellipsis, in at most
    `limit` characters."""
    if len(value) <= limit:
        return value
    cut = limit - len(ELLIPSIS)
    # Never part a base character from its combining marks or an emoji from its joiners.
    while cut > 0 and _is_mark(value[cut]):
        cut -= 1
    head = value[:cut]
    if not value[cut].isspace():
        space = head.rfind(" ")
        if space >= cut * (1 - _MAX_BACKTRACK):
            head = head[:space]
    head = head.rstrip(" ,;:.-\u2013\u2014")
    return head + ELLIPSIS
