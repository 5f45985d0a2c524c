"""Region blending and its cache: cached results are exactly what a fresh blend gives."""

from __future__ import annotations

import pyvips

from renderer import Assets, RenderSpec, blend, render
from renderer.blend import _blend, flatten

from .conftest import decode, png_bytes


def _rgb(colour: list[int], width: int = 64, height: int = 32) -> pyvips.Image:
    image = pyvips.Image.black(width, height, bands=3).new_from_image(colour)
    return image.cast("uchar").copy(interpretation="srgb").copy_memory()


def _overlay() -> pyvips.Image:
    alpha = pyvips.Image.xyz(20, 10)[0] * 12
    rgb = pyvips.Image.black(20, 10, bands=3).new_from_image([250, 20, 20])
    return rgb.bandjoin(alpha).cast("uchar").copy(interpretation="srgb").copy_memory()


def test_single_overlay_blend_matches_composite_over() -> None:
    region, overlay = _rgb([10, 200, 30], 20, 10), _overlay()
    fast = _blend(region, [(overlay, 0, 0)])
    reference = region.composite2(overlay, "over").extract_band(0, n=3).cast("uchar")
    assert fast.bands == 3 and fast.format == "uchar"
    assert (fast - reference).abs().max() <= 1


def test_repeated_flatten_is_identical_and_follows_its_inputs() -> None:
    base, overlay = _rgb([10, 20, 30]), _overlay()
    first, second, third = (
        flatten(base, [(overlay, 5, 4)]).image.write_to_memory() for _ in range(3)
    )
    assert first == second == third  # lazy, then materialised into the cache, then a hit
    other = flatten(_rgb([200, 200, 200]), [(overlay, 5, 4)]).image.write_to_memory()
    assert other != first  # another base never gets the cached region
    moved = flatten(base, [(overlay, 6, 4)]).image.write_to_memory()
    assert moved != first


def test_a_region_is_kept_only_the_second_time_it_is_seen() -> None:
    base, overlay = _rgb([30, 60, 90]), _overlay()
    key = (id(base), 5, 4, overlay.width, overlay.height, id(overlay), 5, 4)
    flatten(base, [(overlay, 5, 4)])
    assert key not in blend._memo  # a one-off costs no copy and no space
    flatten(base, [(overlay, 5, 4)])
    assert key in blend._memo


def test_same_spec_renders_identical_bytes_across_cache_states() -> None:
    spec = RenderSpec(template="blog", title="Cache me", tag="News", author="Ada")
    assets = Assets(avatar=png_bytes(120, 120, (60, 90, 160)))
    cards = [render(spec, assets).data for _ in range(4)]
    assert len(set(cards)) == 1
    other = RenderSpec(template="blog", title="Cache me", tag="Other", author="Ada")
    changed = decode(render(other, assets))
    same = decode(render(spec, assets))
    assert (changed - same).abs().max() > 0  # a different tag is never served from cache


def _opaque(width: int, height: int, colour: list[int]) -> pyvips.Image:
    rgb = pyvips.Image.black(width, height, bands=3).new_from_image(colour)
    return rgb.bandjoin(255).cast("uchar").copy(interpretation="srgb").copy_memory()


def test_a_group_grown_by_a_merge_absorbs_the_groups_its_box_now_touches() -> None:
    """A and B do not touch; C touches only B, but B + C's box covers A: one region for all.

    Merging C against its own rectangle alone left A and B + C as overlapping regions, and
    the later one painted its background over A's ink.
    """
    base = _rgb([0, 0, 0], 40, 32)
    a = (_opaque(4, 4, [255, 0, 0]), 14, 25)
    b = (_opaque(10, 30, [0, 255, 0]), 20, 0)
    c = (_opaque(10, 5, [0, 0, 255]), 12, 0)
    assert blend._clusters([a, b, c]) == [[0, 1, 2]]
    flat = flatten(base, [a, b, c])
    tiles = flat.tiles
    assert len(tiles) == 1
    reference = base.composite([im for im, _, _ in (a, b, c)], "over", x=[14, 20, 12], y=[25, 0, 0])
    reference = reference.extract_band(0, n=3).cast("uchar")
    assert (flat.image - reference).abs().max() == 0
