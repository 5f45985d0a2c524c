"""Golden images for a few fixed specs, compared perceptually (block SSIM), never by bytes.

Regenerate after an intended visual change with:

    OGEDGE_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/renderer/test_golden.py

then look at the PNGs in tests/unit/renderer/golden/ before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pyvips

from renderer import Assets, RenderSpec, render

from .conftest import decode, png_bytes, ssim

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("OGEDGE_REGEN_GOLDEN") == "1"
THRESHOLD = 0.97

CASES: dict[str, RenderSpec] = {
    "blog-og": RenderSpec(
        template="blog",
        title="Shipping a faster image pipeline with libvips",
        description="How we cut render times while improving typography.",
        tag="Engineering",
        author="Ada Lovelace",
    ),
    "editorial-square": RenderSpec(
        template="editorial", kind="square", title="The quiet art of the headline", tag="Essays"
    ),
    "quote-twitter": RenderSpec(
        template="quote",
        kind="twitter",
        title="Simplicity is prerequisite for reliability.",
        author="Edsger W. Dijkstra",
        tag="Computer scientist",
    ),
    "minimal-intl": RenderSpec(
        template="minimal", title="مرحبا — שלום — 你好 — hello 👋", description="Mixed scripts"
    ),
    "product-custom-colours": RenderSpec(
        template="product",
        title="Launch week",
        tag="New",
        background_color="#102030",
        accent_color="#ffcc00",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    assets = Assets(avatar=png_bytes(200, 200, (60, 90, 160)))
    image = decode(render(CASES[name], assets))
    path = GOLDEN / f"{name}.png"
    if REGENERATE or not path.exists():
        if not REGENERATE:
            pytest.fail(f"{path} missing; run with OGEDGE_REGEN_GOLDEN=1 to create it")
        GOLDEN.mkdir(exist_ok=True)
        image.pngsave(str(path), compression=9)
        return
    golden = pyvips.Image.new_from_file(str(path))
    assert (golden.width, golden.height) == (image.width, image.height)
    score = ssim(image, golden)
    assert score >= THRESHOLD, f"{name}: SSIM {score:.3f} < {THRESHOLD}"


def test_ssim_detects_a_changed_card() -> None:
    a = decode(render(RenderSpec(template="blog", title="One headline")))
    b = decode(render(RenderSpec(template="blog", title="A different, longer headline here")))
    assert ssim(a, a) > 0.999
    assert ssim(a, b) < THRESHOLD
