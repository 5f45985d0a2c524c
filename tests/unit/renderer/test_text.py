"""Text correctness: escaping, scripts, emoji, wrapping, shrinking, ellipsis."""

from __future__ import annotations

import pytest

from renderer import RenderSpec, render
from renderer.text import ELLIPSIS, escape_markup, grapheme_cuts

from .conftest import decode


def _title(card: object) -> object:
    layer = card.layer("title")  # type: ignore[attr-defined]
    assert layer is not None
    return layer


def test_escape_markup() -> None:
    assert escape_markup("<b>&amp;\"'") == "&lt;b&gt;&amp;amp;&quot;&apos;"


@pytest.mark.parametrize(
    "text", ["<b>bold</b>", "&amp; &lt;", '<span foreground="red">x</span>', "</span><i>"]
)
def test_markup_renders_literally(text: str) -> None:
    card = render(RenderSpec(template="minimal", title=text, palette="mono"))
    layer = _title(card)
    assert layer.text == text  # type: ignore[attr-defined]
    plain = _title(render(RenderSpec(template="minimal", title="bold", palette="mono")))
    if text == "<b>bold</b>":
        # The tags are drawn as characters: wider than the word alone.
        assert layer.ink[2] > plain.ink[2] * 1.8  # type: ignore[attr-defined]
    image = decode(card)
    x, y, w, h = layer.ink  # type: ignore[attr-defined]
    red = image.crop(x, y, w, h)
    # mono palette text is near-black: markup colouring would show up as saturated red.
    assert (red[0] - red[1]).max() < 40


def test_emoji_render_in_colour() -> None:
    card = render(RenderSpec(template="minimal", title="🎉🚀🌈", palette="mono"))
    x, y, w, h = _title(card).ink  # type: ignore[attr-defined]
    region = decode(card).crop(x, y, w, h)
    saturation = (region[0] - region[2]).abs().max()
    assert saturation > 80  # black text cannot do that; colour emoji can


@pytest.mark.parametrize(
    "title",
    [
        "مرحبا بالعالم — Hello world",
        "שלום עולם and some English",
        "中文标题和English混排的一个很长的标题用来测试换行是否正确工作",
        "Ze\u0301\u0301\u0301bra with combining marks a\u0308\u0301",
        "Family 👨‍👩‍👧‍👦 flag 🇫🇷 skin 👋🏽 keycap 1️⃣",
        "x" * 200,
        "Unbreakable " + "Supercalifragilistic" * 8,
    ],
)
@pytest.mark.parametrize("kind", ["og", "square"])
def test_scripts_render_inside_their_box(title: str, kind: str) -> None:
    card = render(RenderSpec(template="blog", kind=kind, title=title, description=title[:120]))  # type: ignore[arg-type]
    for layer in card.layers:
        if layer.type != "text":
            continue
        bx, by, bw, bh = layer.box
        x, y, w, h = layer.ink
        bleed = max(4, round(layer.font_size * 0.25))
        assert bx - bleed <= x and x + w <= bx + bw + bleed
        assert by - bleed <= y and y + h <= by + bh + bleed


def test_long_word_wraps_instead_of_overflowing() -> None:
    card = render(RenderSpec(template="blog", title="a" * 60))
    layer = _title(card)
    assert layer.lines >= 2  # type: ignore[attr-defined]
    assert not layer.truncated  # type: ignore[attr-defined]


def test_auto_shrink_then_ellipsis() -> None:
    short = _title(render(RenderSpec(template="blog", title="Short title")))
    medium = _title(render(RenderSpec(template="blog", title="word " * 22)))
    long = _title(render(RenderSpec(template="blog", title="lengthy words " * 14)))
    assert short.font_size == 62 and not short.truncated  # type: ignore[attr-defined]
    assert 40 <= medium.font_size < 62  # type: ignore[attr-defined]
    assert long.font_size == 40 and long.truncated  # type: ignore[attr-defined]
    assert long.text.endswith(ELLIPSIS) and long.lines == 3  # type: ignore[attr-defined]


def test_cjk_without_spaces_is_truncated_between_characters() -> None:
    card = render(RenderSpec(template="blog", title="漢字" * 100))
    layer = _title(card)
    assert layer.truncated and layer.text.endswith(ELLIPSIS)  # type: ignore[attr-defined]


def test_grapheme_cuts_keep_clusters_whole() -> None:
    family = "👨\u200d👩\u200d👧"
    text = f"a{family}e\u0301🇫🇷"
    cuts = grapheme_cuts(text)
    pieces = [text[i:j] for i, j in zip([0, *cuts], cuts, strict=False)]
    assert pieces == ["a", family, "e\u0301", "🇫🇷"]


@pytest.mark.parametrize("title", ["\xad", "\u200b", "\u200b\u200d\u2060"])
def test_text_with_no_ink_renders_as_an_empty_line(title: str) -> None:
    # libvips refuses to make an image of text Pango draws nothing for: a client's title must
    # not turn that into a failed card.
    card = render(RenderSpec(template="blog", title=title, tag="Tag"))
    assert (decode(card).width, decode(card).height) == (1200, 630)
    title_layer = next(layer for layer in card.layers if layer.id == "title")
    assert title_layer.lines == 1
