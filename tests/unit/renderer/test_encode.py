"""Output formats, determinism and size budgets."""

from __future__ import annotations

import pytest

import renderer
from renderer import Assets, RenderSpec, render

SPEC = {
    "title": "Shipping a faster image pipeline with libvips and a pinch of Pango",
    "description": "How we cut render times by 90% while improving typography.",
    "tag": "Engineering",
    "author": "Ada Lovelace",
}
MAGIC = {"png": b"\x89PNG", "jpeg": b"\xff\xd8\xff", "webp": b"RIFF", "avif": b"\x00\x00\x00"}


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "avif"])
def test_formats(fmt: str) -> None:
    card = render(RenderSpec(template="blog", format=fmt, **SPEC))  # type: ignore[arg-type]
    assert card.data.startswith(MAGIC[fmt])
    assert card.media_type == f"image/{fmt}"
    assert len(card.data) < 200_000


def test_same_spec_same_bytes(assets: Assets) -> None:
    spec = RenderSpec(template="product", **SPEC)
    assert render(spec, assets).data == render(spec, assets).data


@pytest.mark.parametrize("template", renderer.available_templates())
def test_png_size_budget(template: str, assets: Assets) -> None:
    for kind in renderer.KINDS:
        card = render(RenderSpec(template=template, kind=kind, **SPEC), assets)  # type: ignore[arg-type]
        assert len(card.data) < renderer.MAX_OUTPUT_BYTES
        if kind == "og":
            assert len(card.data) <= 214_000, (template, len(card.data))


def test_budget_steps_down_quality() -> None:
    big = render(RenderSpec(template="hero", format="jpeg", **SPEC))
    small = render(RenderSpec(template="hero", format="jpeg", **SPEC), max_bytes=len(big.data) - 1)
    assert len(small.data) < len(big.data)
