"""dpr=2: the same card on a canvas twice as wide and high, every length doubled, ratios kept;
a 1x spec keeps the identity (and so the slug) it had before dpr existed."""

from __future__ import annotations

import msgspec
import orjson
import pytest
import pyvips

import renderer
from renderer.density import at_density
from renderer.layout_model import TextLayer
from renderer.spec import canonical_bytes

SPEC = dict(
    title="Shipping faster social cards with libvips",
    description="How a card is drawn in milliseconds.",
    tag="Engineering",
    author="Ada Lovelace",
)


@pytest.mark.parametrize("template", renderer.available_templates())
def test_a_2x_card_is_the_1x_card_at_twice_the_size(template: str) -> None:
    one = renderer.render(renderer.RenderSpec(template=template, **SPEC))
    two = renderer.render(renderer.RenderSpec(template=template, dpr=2, **SPEC))
    assert (two.width, two.height) == (one.width * 2, one.height * 2)
    image = pyvips.Image.new_from_buffer(two.data, "")
    assert (image.width, image.height) == (two.width, two.height)
    # The same layout decisions: lines, truncation, the title's size doubled.
    assert two.lines == one.lines and two.truncated == one.truncated
    assert two.font_size == 2 * one.font_size
    # Boxes doubled; a stack places text by its measured height, which rounds per density.
    for a, b in zip(one.layers, two.layers, strict=True):
        assert all(abs(v2 - 2 * v1) <= 4 for v1, v2 in zip(a.box, b.box, strict=True)), a.id
    # Shrunk back to 1x it looks like the 1x card (text edges differ by antialiasing only).
    small = image.resize(0.5, kernel="linear")
    diff = (small - pyvips.Image.new_from_buffer(one.data, "")).abs().avg()
    assert diff < 3.0, (template, diff)


def test_only_lengths_scale() -> None:
    layout = renderer.template_info("blog").layouts["og"]
    doubled = at_density(layout, 2)
    assert at_density(layout, 1) is layout and at_density(layout, 2) is doubled  # memoised
    assert doubled.background.glows == layout.background.glows  # fractions of the canvas
    assert doubled.output == layout.output
    for a, b in zip(layout.layers, doubled.layers, strict=True):
        assert b.opacity == a.opacity
        if isinstance(a, TextLayer):
            assert (b.size, b.min_size, b.line_height) == (
                2 * a.size,
                2 * a.min_size,
                a.line_height,
            )
    with pytest.raises(ValueError, match="dpr"):
        at_density(layout, 3)


def test_dpr_1_keeps_the_identity_and_2_is_another_card() -> None:
    plain = renderer.normalize(renderer.RenderSpec(template="blog", **SPEC))
    assert "dpr" not in orjson.loads(canonical_bytes(plain))
    twice = msgspec.structs.replace(plain, dpr=2)
    assert orjson.loads(canonical_bytes(twice))["dpr"] == 2
    assert renderer.spec_hash(twice) != renderer.spec_hash(plain)


def test_dpr_other_than_1_or_2_is_refused_naming_the_field() -> None:
    with pytest.raises(renderer.SpecError) as raised:
        renderer.parse_spec(b'{"title": "x", "dpr": 3}')
    assert raised.value.field == "dpr"


def test_a_2x_card_fits_the_smallest_crawler_budget_as_jpeg() -> None:
    # WhatsApp's 300 KB (proxy/http/crawlers.toml): the delivery asks for a JPEG within it.
    spec = renderer.RenderSpec(template="blog", dpr=2, format="jpeg", **SPEC)
    card = renderer.render(spec, max_bytes=300_000)
    assert len(card.data) <= 300_000 and card.width == 2400
