"""Balanced wrapping (no orphaned last word), RTL anchoring, tinted logos, text opacity."""

from __future__ import annotations

import pytest
import pyvips

from renderer import Assets, RenderSpec, render
from renderer.colours import parse_hex
from renderer.compose import Content
from renderer.compose import _style as _text_style
from renderer.layout_model import TextLayer
from renderer.template import registry
from renderer.text import TextStyle, base_direction, fit_text
from renderer.text import _line_widths as line_widths
from renderer.text import _render as render_text

from .conftest import decode, png_bytes

# At 70 px in a 1040 px box this wraps as two full lines and "Pango" alone on the third.
ORPHAN = "Shipping a faster image pipeline with libvips and Pango"


def _style(align: str = "left", size: int = 70, max_lines: int = 4) -> TextStyle:
    return TextStyle(
        families="Noto Serif Display,Noto Serif,DejaVu Serif",
        weight=400,
        size=size,
        min_size=0,
        line_height=1.05,
        letter_spacing=0.0,
        colour=parse_hex("#000000"),
        align=align,
        max_lines=max_lines,
        ellipsis=True,
    )


def _greedy(text: str, style: TextStyle, width: int) -> pyvips.Image:
    """The layout without balancing: Pango's greedy wrap at the full width."""
    return render_text(text, style, style.size, width)[0]


def test_greedy_layout_would_orphan_the_last_word() -> None:
    # Guards the premise of the next test: without balancing, "Pango" hangs alone.
    style = _style()
    greedy = _greedy(ORPHAN, style, 1040)
    widths = line_widths(greedy, 3, style.line_px(style.size))
    assert widths[-1] < 0.35 * max(widths)


def test_balanced_title_has_no_orphan_and_keeps_its_line_count() -> None:
    style = _style()
    fitted = fit_text(ORPHAN, style, 1040, 400)
    assert fitted.lines == 3
    assert not fitted.truncated
    widths = line_widths(fitted.image, fitted.lines, fitted.line_px)
    assert min(widths) >= 0.5 * max(widths), widths
    assert fitted.image.width < 1000  # a narrower block, not the full-width greedy one


def test_balanced_centred_text_stays_centred_in_its_box() -> None:
    fitted = fit_text(ORPHAN, _style("centre"), 1040, 400)
    left = fitted.ink_x
    right = 1040 - (fitted.ink_x + fitted.image.width)
    assert abs(left - right) <= 6


def test_text_that_fits_one_line_is_left_alone() -> None:
    style = _style()
    fitted = fit_text("Hello", style, 1040, 400)
    assert fitted.lines == 1
    assert fitted.ink_x < 10


def test_full_last_line_is_not_rewrapped() -> None:
    style = _style()
    text = "A title whose two lines are both long enough that nothing hangs at the end of it"
    greedy = _greedy(text, style, 1040)
    fitted = fit_text(text, style, 1040, 400)
    assert fitted.image.width == greedy.width


@pytest.mark.parametrize("template", ["editorial", "product"])
def test_rendered_titles_do_not_orphan(template: str) -> None:
    # Greedy wrapping leaves "Pango" alone on the last line in both (measured: 19% and 30%
    # of the block's width).
    title = "Shipping a faster image pipeline with libvips and a pinch of Pango"
    card = render(RenderSpec(template=template, title=title, description="Short."))
    layer = card.layer("title")
    assert layer is not None and layer.lines >= 2 and not layer.truncated
    x, y, w, h = layer.ink
    alpha = decode(card).crop(x, y, w, h).colourspace("b-w")[0]
    # The last line's row of ink: bottom band of the title, compared with the whole block.
    line_px = h // layer.lines
    last = alpha.crop(0, h - line_px, w, line_px)
    background = decode(card).getpoint(max(0, x - 2), y + h // 2)[0]
    trim = last.find_trim(background=[background], threshold=60)
    assert trim[2] >= 0.5 * w, (template, trim, w)


def test_base_direction() -> None:
    assert base_direction("مرحبا hello") == "rtl"
    assert base_direction("שלום") == "rtl"
    assert base_direction("123 hello مرحبا") == "ltr"
    assert base_direction("— 2024") == "ltr"


@pytest.mark.parametrize("field", ["title", "author"])
def test_rtl_text_stays_anchored_where_the_template_puts_it(field: str) -> None:
    spec = RenderSpec(
        template="blog", title="مرحبا بالعالم: كيف نبني بطاقات اجتماعية سريعة", author="ليلى"
    )
    card = render(spec, Assets(avatar=png_bytes(120, 120, (60, 90, 160))))
    layer = card.layer(field)
    assert layer is not None
    # Left-aligned layers keep their block at the box's left edge (the avatar side for the
    # author), rather than being pushed to the far right by the paragraph direction.
    assert layer.ink[0] - layer.box[0] < 12, (layer.ink, layer.box)


def test_product_panel_logo_is_tinted_on_accent() -> None:
    # A dark logo on candy's pink panel: drawn as a silhouette in $on_accent (white).
    logo = png_bytes(240, 80, (20, 20, 30), alpha=True)
    card = render(RenderSpec(template="product", title="Launch week"), Assets(logo=logo))
    layer = card.layer("panel_logo")
    assert layer is not None
    x, y, w, h = layer.ink
    centre = decode(card).crop(x + w // 4, y + h // 4, w // 2, h // 2)
    assert centre.min() > 200  # white-ish everywhere, never the logo's own near-black


def test_text_layer_opacity_is_applied() -> None:
    palette = registry().palettes["mono"]
    content = Content(texts={}, images={}, font="Inter", max_pixels=1)
    opaque = _text_style(TextLayer(box=(0, 0, 10, 10)), palette, content)
    faded = _text_style(TextLayer(box=(0, 0, 10, 10), opacity=0.5), palette, content)
    assert opaque.colour[3] == 255
    assert faded.colour[:3] == opaque.colour[:3] and faded.colour[3] == 128


def test_product_panel_mark_only_when_there_is_nothing_else_to_show() -> None:
    bare = render(RenderSpec(template="product", title="Launch week"))
    assert bare.layer("panel_mark") is not None
    for assets in (
        Assets(logo=png_bytes(240, 80, (20, 20, 30), alpha=True)),
        Assets(favicon=png_bytes(64, 64, (20, 20, 30))),
        Assets(page_image=png_bytes(600, 400, (90, 40, 20))),
    ):
        card = render(RenderSpec(template="product", title="Launch week"), assets)
        assert card.layer("panel_mark") is None, assets
