"""platforms.toml: every platform complete, every rule sourced, every mistake refused at load."""

from __future__ import annotations

import re
import tomllib

import pytest

from proxy.check.rules import FORMATS, RulesError, load_platforms, parse_platforms, rules_text

PLATFORMS = [
    "facebook",
    "x",
    "linkedin",
    "slack",
    "discord",
    "whatsapp",
    "imessage",
    "bluesky",
    "mastodon",
]
# Keys every platform table states, even when empty, so a reader sees the decision.
REQUIRED_KEYS = {
    "name",
    "robots_tokens",
    "robots",
    "title_tags",
    "description_tags",
    "image_tags",
    "required",
    "expected",
    "observed",
    "image",
}
# Not rules: the display name, and the list of which rules are observed (each of those has
# its own source line).
UNSOURCED_KEYS = {"name", "observed"}
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=")


def unsourced(text: str) -> list[str]:
    """Key lines with no `# source:` comment, inline or in the comment block right above."""
    missing = []
    block: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped)
            continue
        match = _KEY_LINE.match(stripped)
        if match and match.group(1) not in UNSOURCED_KEYS:
            inline = "# source:" in line.split("=", 1)[1]
            if not inline and not any(c.startswith("# source:") for c in block):
                missing.append(f"line {number}: {stripped[:60]}")
        block = []
    return missing


def test_every_platform_is_there_in_report_order() -> None:
    assert [p.id for p in load_platforms()] == PLATFORMS


def test_every_platform_states_every_key() -> None:
    raw = tomllib.loads(rules_text())
    for pid in PLATFORMS:
        assert set(raw[pid]) >= REQUIRED_KEYS, (pid, REQUIRED_KEYS - set(raw[pid]))
        assert raw[pid]["image"], f"{pid}: no image rules"


def test_every_rule_names_its_source() -> None:
    assert unsourced(rules_text()) == []


def test_the_source_check_catches_a_rule_without_one() -> None:
    text = (
        "[a]\n"
        "name = 'A'\n"
        "# source: https://example.com/doc\n"
        "robots = 'obeys'\n"
        "min_width = 200\n"
        "max_bytes = 1  # source: the same doc\n"
        "# a comment that names no source\n"
        "formats = ['png']\n"
    )
    assert unsourced(text) == ["line 5: min_width = 200", "line 8: formats = ['png']"]


def comments_by_key(text: str) -> dict[tuple[str, str], str]:
    """(table, key) -> the comments that source it (the block above and the inline one)."""
    found: dict[tuple[str, str], str] = {}
    table, block = "", []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped)
            continue
        if stripped.startswith("["):
            table = stripped.strip("[]")
        elif match := _KEY_LINE.match(stripped):
            inline = line.split("#", 1)[1] if "#" in line.split("=", 1)[1] else ""
            found[(table, match.group(1))] = " ".join([*block, inline]).lower()
        block = []
    return found


def test_observed_values_say_so_in_their_source() -> None:
    # A value listed as observed must not be passed off as documented in its comment.
    comments = comments_by_key(rules_text())
    for platform in load_platforms():
        for dotted in sorted(platform.observed):
            *path, key = dotted.split(".")
            comment = comments[(".".join([platform.id, *path]), key)]
            assert any(w in comment for w in ("observed", "community", "not published")), (
                platform.id,
                dotted,
                comment,
            )


def test_formats_are_ones_the_renderer_names() -> None:
    for platform in load_platforms():
        for rule in platform.image.values():
            assert set(rule.formats) <= set(FORMATS), platform.id


def test_documented_headline_rules() -> None:
    rules = {p.id: p for p in load_platforms()}
    fb = rules["facebook"].image["any"]
    assert (fb.min_width, fb.min_height, fb.max_bytes, fb.aspect) == (200, 200, 8_000_000, 1.91)
    large = rules["x"].image["summary_large_image"]
    assert (large.min_width, large.min_height, large.max_width, large.max_height) == (
        300,
        157,
        4096,
        4096,
    )
    assert (large.max_bytes, large.aspect) == (5_000_000, 2.0)
    assert rules["x"].title_max == 70 and rules["x"].description_max == 200
    assert rules["whatsapp"].image["any"].max_bytes == 300_000
    assert rules["whatsapp"].is_observed("image.any.max_bytes")
    assert rules["mastodon"].robots == "ignores"


def test_every_mistake_is_listed_at_once() -> None:
    bad = """
[a]
name = "A"
robots_tokens = ["A"]
robots = "obeys"
title_tags = ["og:title"]
description_tags = []
image_tags = ["og:image"]
required = ["headline"]
observed = ["image.any.nope"]
[a.image.any]
formats = ["svg"]
min_width = 500
max_width = 100
[b]
name = "B"
robots = "sometimes"
"""
    with pytest.raises(RulesError) as info:
        parse_platforms(bad)
    message = str(info.value)
    assert "a.required: unknown field 'headline'" in message
    assert "a.image.any.formats: 'svg'" in message
    assert "a.image.any: min_width 500 is over max_width 100" in message
    assert "a.observed: 'image.any.nope' names no key" in message
    assert "b:" in message  # a type error (robots, missing keys) names its table


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(RulesError, match="min_widht"):
        parse_platforms(
            '[a]\nname = "A"\nrobots_tokens = ["A"]\nrobots = "obeys"\ntitle_tags = []\n'
            "description_tags = []\nimage_tags = []\n[a.image.any]\nmin_widht = 1\n"
        )
