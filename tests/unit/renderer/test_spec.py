from __future__ import annotations

import msgspec
import pytest

import renderer
from renderer import RenderSpec, SpecError, TemplateNotFound, parse_spec, spec_hash


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   \n\t "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 501}, "description"),
        ({"tag": "x" * 41}, "tag"),
        ({"author": "x" * 81}, "author"),
        ({"background_color": "red"}, "backgroundColor"),
        ({"text_color": "#12345"}, "textColor"),
        ({"accent_color": "#gggggg"}, "accentColor"),
        ({"palette": "nope"}, "palette"),
        ({"font": "Comic Sans Nowhere"}, "font"),
    ],
)
def test_validation_names_the_field(overrides: dict[str, str], field: str) -> None:
    spec = RenderSpec(**{"title": "ok", **overrides})  # type: ignore[arg-type]
    with pytest.raises(SpecError) as info:
        renderer.normalize(spec)
    assert info.value.field == field
    assert field in str(info.value)


def test_unknown_font_lists_available_fonts() -> None:
    with pytest.raises(SpecError) as info:
        renderer.normalize(RenderSpec(title="t", font="Nope Sans"))
    assert (
        "DejaVu Sans" in info.value.message or renderer.available_fonts()[0] in info.value.message
    )


def test_unknown_template() -> None:
    with pytest.raises(TemplateNotFound) as info:
        renderer.normalize(RenderSpec(title="t", template="nope"))
    assert info.value.field == "template"
    assert "blog" in str(info.value)


def test_json_type_errors_name_the_camelcase_field() -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(b'{"title": "t", "backgroundColor": 12}')
    assert info.value.field == "backgroundColor"
    with pytest.raises(SpecError) as info:
        parse_spec(b'{"title": "t", "kind": "poster"}')
    assert info.value.field == "kind"


def test_hash_ignores_transient_fields_and_normalises() -> None:
    base = parse_spec(b'{"title": "Caf\\u00e9", "accentColor": "#ABC"}')
    noisy = parse_spec(
        b'{"title": "Cafe\\u0301", "accentColor": "#aabbccff", "webhookUrl": "https://x",'
        b' "webhookSecret": "s", "metadata": {"a": 1}, "force": true}'
    )
    assert noisy.title == "Caf\u00e9"  # NFC
    assert noisy.accent_color == "#aabbcc"
    assert spec_hash(base) == spec_hash(noisy)
    explicit = RenderSpec(
        title="Caf\u00e9", accent_color="#aabbcc", palette="midnight", font="Inter"
    )
    assert spec_hash(explicit) == spec_hash(base)  # defaults filled before hashing


def test_hash_changes_with_render_affecting_fields() -> None:
    a = spec_hash(RenderSpec(title="A"))
    assert a != spec_hash(RenderSpec(title="B"))
    assert a != spec_hash(RenderSpec(title="A", kind="square"))
    assert a != spec_hash(RenderSpec(title="A", avatar="https://example.com/a.png"))
    assert len(a) == 64


def test_canonical_form_is_sorted_camelcase_json() -> None:
    spec = renderer.normalize(RenderSpec(title="t", background_color="#FFF"))
    encoded = msgspec.json.decode(renderer.spec.canonical_bytes(spec))
    assert list(encoded) == sorted(encoded)
    assert encoded["backgroundColor"] == "#ffffff"
    assert encoded["palette"] == "midnight"


def test_control_characters_are_stripped() -> None:
    spec = renderer.normalize(RenderSpec(title="a\x00b\x07c\u0085d\nnext"))
    assert spec.title == "abcd next"
