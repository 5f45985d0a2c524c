"""PNG by row bands: the stream is valid, its pixels are the canvas's, and reuse never leaks."""

from __future__ import annotations

import random
import struct
import zlib

import pytest
import pyvips

from renderer import Assets, RenderSpec, png, render
from renderer.blend import Canvas
from renderer.png import BAND_ROWS, _adler_combine, encode_png

from .conftest import decode, png_bytes


def _noise(width: int, height: int, seed: int) -> pyvips.Image:
    image = pyvips.Image.gaussnoise(width, height, sigma=60, mean=128, seed=seed)
    rgb = image.bandjoin([image.flipver(), image.fliphor()]).cast("uchar")
    return rgb.copy(interpretation="srgb").copy_memory()


def _idat(data: bytes) -> bytes:
    """The concatenated IDAT payload, every chunk's CRC checked on the way."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, payload = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        if kind == b"IDAT":
            payload += body
        pos += 12 + length
    return payload


def _same_pixels(data: bytes, image: pyvips.Image) -> bool:
    decoded = pyvips.Image.new_from_buffer(data, "")
    return bool(decoded.bands == 3 and decoded.write_to_memory() == image.write_to_memory())


@pytest.mark.parametrize("height", [1, BAND_ROWS - 1, BAND_ROWS, 3 * BAND_ROWS + 7])
def test_a_canvas_round_trips_exactly_and_zlib_checks_its_adler32(height: int) -> None:
    base = _noise(37, height, seed=height)
    tile = _noise(11, max(1, height // 2), seed=99)
    canvas = Canvas(base, ((tile, 5, height // 3),))
    data = encode_png(canvas, 6)
    assert _same_pixels(data, canvas.image)
    rows = zlib.decompress(_idat(data))  # raises on a wrong Adler-32 or a broken stream
    assert len(rows) == height * (37 * 3 + 1)
    assert all(rows[y * (37 * 3 + 1)] == 0 for y in range(height))  # filter "none" on every row


def test_adler_combine_matches_zlib_over_any_split() -> None:
    rng = random.Random(7)
    for _ in range(200):
        first = rng.randbytes(rng.choice([0, 1, 5, 4000, 70000]))
        second = rng.randbytes(rng.choice([0, 1, 5, 65521, 140000]))
        combined = _adler_combine(zlib.adler32(first), zlib.adler32(second), len(second))
        assert combined == zlib.adler32(first + second)


def test_reused_bands_give_the_bytes_a_fresh_encode_gives() -> None:
    png._memo.clear()
    base, tile = _noise(64, 4 * BAND_ROWS, 1), _noise(20, 10, 2)
    fresh = [encode_png(Canvas(base, ((tile, 3, 40),)), 6) for _ in range(3)]
    assert len(png._memo) == 4  # kept on the second sighting, then hits
    assert fresh[0] == fresh[1] == fresh[2]
    png._memo.clear()
    assert encode_png(Canvas(base, ((tile, 3, 40),)), 6) == fresh[0]


def test_only_the_bands_a_new_tile_crosses_are_deflated(monkeypatch: pytest.MonkeyPatch) -> None:
    png._memo.clear()
    base = _noise(64, 4 * BAND_ROWS, 3)
    for _ in range(2):
        encode_png(Canvas(base), 6)
    deflated: list[int] = []
    real = png._deflate
    monkeypatch.setattr(
        png, "_deflate", lambda rows, level: deflated.append(1) or real(rows, level)
    )
    tile = _noise(20, BAND_ROWS + 2, 4)  # rows 40..73: bands 1 and 2 of 0..3
    canvas = Canvas(base, ((tile, 3, BAND_ROWS + 8),))
    data = encode_png(canvas, 6)
    assert len(deflated) == 2
    assert _same_pixels(data, canvas.image)


def test_another_tile_or_base_in_the_same_place_is_never_served_from_cache() -> None:
    png._memo.clear()
    base, tile, other = _noise(64, 2 * BAND_ROWS, 5), _noise(20, 10, 6), _noise(20, 10, 7)
    for _ in range(2):
        encode_png(Canvas(base, ((tile, 3, 4),)), 6)
    moved = Canvas(base, ((tile, 4, 4),))
    swapped = Canvas(base, ((other, 3, 4),))
    rebased = Canvas(_noise(64, 2 * BAND_ROWS, 8), ((tile, 3, 4),))
    for canvas in (moved, swapped, rebased):
        assert _same_pixels(encode_png(canvas, 6), canvas.image)


def test_an_entry_whose_ids_were_reused_is_not_trusted() -> None:
    """Same key, other objects (ids are reused once objects die): the band is deflated anew."""
    png._memo.clear()
    base, stranger = _noise(16, BAND_ROWS, 9), _noise(16, BAND_ROWS, 10)
    for _ in range(2):
        encode_png(Canvas(stranger), 6)
    (key,) = list(png._memo._entries)
    entry = png._memo.get(key)
    assert entry is not None
    png._memo.clear()
    forged = (id(base), *key[1:])
    png._memo._entries[forged] = ((stranger, (), entry[2], entry[3]), 1)  # stale: other base
    assert _same_pixels(encode_png(Canvas(base), 6), base)


def test_level_changes_the_bytes_not_the_pixels() -> None:
    base = _noise(200, 3 * BAND_ROWS, 11)
    fast, small = encode_png(Canvas(base), 1), encode_png(Canvas(base), 9)
    assert fast != small
    assert _same_pixels(fast, base) and _same_pixels(small, base)


def test_a_rendered_card_is_what_libvips_would_encode_and_about_as_small() -> None:
    spec = RenderSpec(template="blog", title="Bands of rows", tag="News", author="Ada")
    card = render(spec, Assets(avatar=png_bytes(120, 120, (60, 90, 160))))
    image = decode(card)
    reference = image.pngsave_buffer(compression=6, filter="none", keep="none")
    assert _same_pixels(card.data, pyvips.Image.new_from_buffer(reference, ""))
    assert len(card.data) <= len(reference) * 1.05  # bands cost ~1% here, never much more
