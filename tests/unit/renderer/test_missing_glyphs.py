"""missing_glyphs: the characters no installed font has (Pango would draw boxes)."""

from __future__ import annotations

import unicodedata

import renderer


def test_covered_text_misses_nothing() -> None:
    assert renderer.missing_glyphs("Hello, world! Ünïcödé 123") == ""
    assert renderer.missing_glyphs(" \u200d\ufe0f\t") == ""  # spaces, joiners, selectors


def test_an_uncovered_character_is_named_once_in_order() -> None:
    gaps = [
        chr(c)
        for c in range(0x0860, 0x30000)
        if unicodedata.category(chr(c))[0] not in "CZ" and renderer.missing_glyphs(chr(c))
    ]
    assert len(gaps) >= 2, "fonts-noto leaves some scripts uncovered"
    a, b = gaps[0], gaps[1]
    assert renderer.missing_glyphs(f"x{b}y{a}{b}") == b + a
