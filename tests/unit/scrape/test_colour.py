"""theme-color values -> #rrggbb or None."""

from __future__ import annotations

import pytest

from proxy.scrape.colour import parse_colour


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#ABC", "#aabbcc"),
        ("#aabbcc", "#aabbcc"),
        (" #0F0F0F ", "#0f0f0f"),
        ("#aabbcc80", "#aabbcc"),
        ("#abcf", "#aabbcc"),
        ("red", "#ff0000"),
        ("RebeccaPurple", "#663399"),
        ("rgb(255, 0, 0)", "#ff0000"),
        ("rgba(0,128,255,0.5)", "#0080ff"),
        ("rgb(0 128 255 / 50%)", "#0080ff"),
        ("rgb(100%, 0%, 50%)", "#ff0080"),
        ("rgb(300, -5, 0)", "#ff0000"),
        ("hsl(120, 100%, 25%)", "#008000"),
        ("hsl(120deg 100% 50%)", "#00ff00"),
        ("hsl(0.5turn 100% 50%)", "#00ffff"),
    ],
)
def test_readable_colours(value: str, expected: str) -> None:
    assert parse_colour(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "transparent",
        "currentColor",
        "var(--brand)",
        "#ggg",
        "#abcd1",
        "#aabbcc00",
        "rgba(0,0,0,0)",
        "rgb(1,2)",
        "rgb(1deg,2,3)",
        "hsl(10%, 50%, 50%)",
        "color-mix(in srgb, red, blue)",
        "notacolour",
        "#" + "a" * 100_000,
    ],
)
def test_unreadable_colours_are_none(value: str | None) -> None:
    assert parse_colour(value) is None
