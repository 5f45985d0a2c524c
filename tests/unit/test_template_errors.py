"""A template validator's complaint mapped to the line and key path the user wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

import renderer
from proxy.template_errors import locate

BLOG = (Path(__file__).parents[2] / "templates" / "blog.toml").read_text()


def where(toml: str) -> tuple[dict[str, str | int], str]:
    with pytest.raises(renderer.TemplateError) as caught:
        renderer.parse_template("custom_x", toml.encode())
    found = locate(str(caught.value), toml)
    line = found.get("line")
    return found, toml.splitlines()[int(line) - 1] if line else ""


@pytest.mark.parametrize(
    ("before", "after", "path", "line"),
    [
        ("size = 62", 'size = "big"', "layers[title].size", 'size = "big"'),
        ("weight = 700", "weight = 700\nbogus = 1", "layers[title].bogus", "bogus = 1"),
        ('field = "title"', 'field = "titel"', "layers[titel].field", 'field = "titel"'),
        ('palette = "midnight"', 'palette = "nope"', "palette", 'palette = "nope"'),
        (
            "box = [80, 0, 1040, 240]",
            "box = [80, 0, 1500, 240]",
            "layers[title].box",
            "box = [80, 0, 1500, 240]",
        ),
        (
            'stops = ["$background", "$background2"]',
            'stops = ["$background"]',
            "background.stops",
            'stops = ["$background"]',
        ),
        ('color = "$muted"', 'color = "$mutedx"', "layers[description].color", 'color = "$mutedx"'),
    ],
)
def test_errors_point_at_the_key(before: str, after: str, path: str, line: str) -> None:
    assert before in BLOG
    found, text = where(BLOG.replace(before, after, 1))
    assert found["path"] == path
    assert text == line


def test_kind_overrides_and_syntax_errors() -> None:
    found, text = where(BLOG + "\n[kinds.square.layers.nope]\nsize = 3\n")
    assert (found["path"], text) == ("kinds.square.layers.nope", "[kinds.square.layers.nope]")
    found, text = where(BLOG + '\n[kinds.twitter.layers.title]\nsize = "x"\n')
    assert (found["path"], text) == ("kinds.twitter.layers.title.size", 'size = "x"')
    found, text = where('name = "x"\n[output\n')
    assert found == {"line": 2} and text == "[output"


def test_a_message_naming_no_place_gives_none() -> None:
    assert locate("something else went wrong", BLOG) == {}
