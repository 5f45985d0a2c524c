"""Static backgrounds: the gradient and glows computed small and upsampled stay within two
levels of 255 of the same field computed at full size, for every template and kind."""

from __future__ import annotations

import pytest

from renderer import background
from renderer.template import registry

CASES = [
    (name, kind)
    for name, template in sorted(registry().templates.items())
    for kind, layout in sorted(template.layouts.items())
    if layout.background.type != "solid"
]


def test_some_templates_have_gradients() -> None:
    assert len({name for name, _ in CASES}) >= 4


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_upsampled_field_matches_the_full_size_one(name: str, kind: str) -> None:
    template = registry().templates[name]
    layout = template.layouts[kind]
    palette = registry().palettes[template.default_palette]
    bg, width, height = layout.background, layout.width, layout.height
    full = background._glows(background._paint(bg, palette, width, height), bg, palette)
    smooth = background._smooth(bg, palette, width, height)
    assert (smooth.width, smooth.height, smooth.bands) == (width, height, 3)
    assert (full - smooth).abs().max() <= 2.0
