"""Every template x kind x a few palettes: right size, ink inside each text box, on canvas."""

from __future__ import annotations

from pathlib import Path

import pytest

import renderer
from renderer import Assets, RenderSpec, render
from renderer.colours import contrast_ratio
from renderer.errors import TemplateError
from renderer.template import load_templates, preload_templates, registry, templates_dir

from .conftest import decode

TEMPLATES = renderer.available_templates()
PALETTES = ["midnight", "paper", "candy"]
FULL = {
    "title": "Shipping a faster image pipeline with libvips and a pinch of Pango",
    "description": "How we cut render times by 90% while improving typography in every script.",
    "tag": "Engineering",
    "author": "Ada Lovelace",
}


def test_at_least_eight_templates_and_palettes() -> None:
    assert len(TEMPLATES) >= 8
    assert len(renderer.available_palettes()) >= 8


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("kind", list(renderer.KINDS))
@pytest.mark.parametrize("palette", PALETTES)
def test_renders_with_ink_in_every_text_box(
    template: str, kind: str, palette: str, assets: Assets
) -> None:
    card = render(RenderSpec(template=template, kind=kind, palette=palette, **FULL), assets)  # type: ignore[arg-type]
    width, height = renderer.KINDS[kind]
    image = decode(card)
    assert (card.width, card.height) == (image.width, image.height) == (width, height)
    info = renderer.template_info(template)
    drawn = {layer.field for layer in card.layers if layer.type == "text"}
    for field in set(FULL) & set(info.fields):
        assert field in drawn, f"{template}/{kind}: {field} not laid out"
    for layer in card.layers:
        x, y, w, h = layer.ink
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, layer
        if layer.type != "text":
            continue
        bx, by, bw, bh = layer.box
        bleed = max(4, round(layer.font_size * 0.25))
        assert bx - bleed <= x and x + w <= bx + bw + bleed, layer
        assert by - bleed <= y and y + h <= by + bh + bleed, layer
        # Ink: the laid-out rectangle is not flat colour.
        region = image.crop(x, y, w, h)
        assert region.deviate() > 5, f"{template}/{kind}/{layer.id}: no visible text"


@pytest.mark.parametrize("template", TEMPLATES)
def test_empty_optional_fields_disappear(template: str) -> None:
    card = render(RenderSpec(template=template, title="Just a title"))
    ids = {layer.field for layer in card.layers if layer.type == "text"}
    assert "title" in ids
    assert not ids & {"description", "tag", "author"}
    assert not [layer for layer in card.layers if layer.type == "image"]


def test_template_version_is_a_content_hash() -> None:
    version = renderer.template_version("blog")
    assert len(version) == 64
    assert version != renderer.template_version("minimal")


def test_palettes_have_readable_text() -> None:
    for palette in registry().palettes.values():
        assert contrast_ratio(palette["text"], palette["background"]) >= 7, palette.name
        assert contrast_ratio(palette["muted"], palette["background"]) >= 4.5, palette.name


def _copy_templates(tmp_path: Path) -> Path:
    for source in templates_dir().glob("*.toml"):
        (tmp_path / source.name).write_text(source.read_text())
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("size = 62\n", 'size = "big"\n', ["blog.toml", "layer 'title'", "size"]),
        (
            "max_lines = 3\n",
            "max_lines = 3\nwobble = 1\n",
            ["blog.toml", "layer 'title'", "wobble"],
        ),
        ('color = "$muted"', 'color = "$nope"', ["blog.toml", "layer 'description'", "color"]),
        ("box = [80, 524, 56, 56]", "box = [80, 524, 56, 900]", ["blog.toml", "'avatar'", "box"]),
        ('when = "author"', 'when = "author,!logoo"', ["blog.toml", "'avatar'", "when", "logoo"]),
    ],
)
def test_template_errors_name_file_layer_and_key(
    tmp_path: Path, old: str, new: str, expected: list[str]
) -> None:
    directory = _copy_templates(tmp_path)
    blog = directory / "blog.toml"
    text = blog.read_text()
    assert old in text
    blog.write_text(text.replace(old, new, 1))
    with pytest.raises(TemplateError) as info:
        load_templates(directory)
    for part in expected:
        assert part in str(info.value)


def test_override_of_unknown_layer_is_an_error(tmp_path: Path) -> None:
    directory = _copy_templates(tmp_path)
    blog = directory / "blog.toml"
    blog.write_text(blog.read_text() + "\n[kinds.twitter.layers.ghost]\nsize = 3\n")
    with pytest.raises(TemplateError, match="ghost"):
        load_templates(directory)


def test_dejavu_only_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only DejaVu installed, fonts fall back and every template still renders."""
    from renderer import fonts

    only = frozenset({"DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"})
    monkeypatch.setattr(fonts, "installed_families", lambda: only)
    assert renderer.available_fonts() == ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"]
    assert fonts.family_list("Inter") == "DejaVu Sans"
    assert fonts.family_list("Noto Serif Display") == "DejaVu Serif,DejaVu Sans"
    for template in TEMPLATES:
        card = render(RenderSpec(template=template, title="Fallback fonts", tag="t"))
        assert card.layer("title") is not None
    with pytest.raises(renderer.SpecError, match="DejaVu Sans"):
        renderer.normalize(RenderSpec(title="t", font="Inter"))


def test_a_lazy_registry_parses_a_template_on_first_use(tmp_path: Path) -> None:
    # A one-card CLI render parses the template it uses; a server parses all at start-up.
    directory = _copy_templates(tmp_path)
    (directory / "quote.toml").write_text("layers = 'not a list'\n")
    with pytest.raises(TemplateError, match="quote"):
        load_templates(directory)
    lazy = load_templates(directory, lazily=True)
    assert "quote" in lazy.templates and "blog" in sorted(lazy.templates)
    assert lazy.templates["blog"].name == "blog"  # the broken file was never read
    assert lazy.templates["blog"] is lazy.templates["blog"]  # parsed once
    with pytest.raises(TemplateError, match="quote"):
        lazy.templates["quote"]
    with pytest.raises(KeyError):
        lazy.templates["nope"]


def test_preloading_parses_every_built_in_template() -> None:
    preload_templates()
    templates = registry().templates
    assert len(templates._parsed) == len(templates) >= 9  # type: ignore[attr-defined]
