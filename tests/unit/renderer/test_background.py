"""Static backgrounds: the gradient and glows computed small and upsampled stay within two
levels of 255 of the same field computed at full size, with no coarser steps, for every
template and kind."""

from __future__ import annotations

import pytest
import pyvips

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


def _fields(name: str, kind: str) -> tuple[pyvips.Image, pyvips.Image]:
    """The background field computed at full size (float) and as rendered (small, upsampled)."""
    template = registry().templates[name]
    layout = template.layouts[kind]
    palette = registry().palettes[template.default_palette]
    bg, width, height = layout.background, layout.width, layout.height
    full = background._glows(background._paint(bg, palette, width, height), bg, palette)
    return full, background._smooth(bg, palette, width, height)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_upsampled_field_matches_the_full_size_one(name: str, kind: str) -> None:
    full, smooth = _fields(name, kind)
    assert (smooth.width, smooth.height, smooth.bands) == (full.width, full.height, 3)
    assert (full - smooth).abs().max() <= 2.0


def _steepest_step(image: pyvips.Image) -> float:
    """The largest level change between vertically or horizontally adjacent pixels."""
    image = image.cast("float")
    w, h = image.width, image.height
    down = (image.crop(0, 1, w, h - 1) - image.crop(0, 0, w, h - 1)).abs().max()
    across = (image.crop(1, 0, w - 1, h) - image.crop(0, 0, w - 1, h)).abs().max()
    return max(down, across)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_upsampling_adds_no_step_the_full_size_field_lacks(name: str, kind: str) -> None:
    # Rows are repeated rather than interpolated (they compress to back-references): that
    # must not show as bands, so no neighbour-to-neighbour step may exceed the full field's.
    full, smooth = _fields(name, kind)
    assert _steepest_step(smooth) <= max(1.0, _steepest_step((full + 0.5).cast("uchar")))
