"""Hostile and broken images are refused quickly with a clear AssetError."""

from __future__ import annotations

import zlib

import pytest
import pyvips

from renderer import AssetError, Assets, RenderSpec, render
from renderer.images import decode_fitted, sniff_format

from .conftest import handmade_png, png_bytes


def _avatar(data: bytes, **kwargs: int) -> None:
    render(RenderSpec(template="blog", title="t", author="a"), Assets(avatar=data), **kwargs)


def test_png_bomb_is_refused_from_the_header() -> None:
    # 30000 x 30000 RGB claims 2.7 GB of pixels; the file itself is a few hundred bytes.
    bomb = handmade_png(30000, 30000, zlib.compress(b"\x00" * 90001, 9))
    assert len(bomb) < 1000
    with pytest.raises(AssetError) as info:
        _avatar(bomb)
    assert info.value.field == "avatar"
    assert "900.0 MP" in str(info.value) and "limit" in str(info.value)


def test_pixel_limit_is_configurable() -> None:
    data = png_bytes(300, 300, (10, 20, 30))
    _avatar(data)  # fine by default
    with pytest.raises(AssetError, match="limit"):
        _avatar(data, max_pixels=50_000)


def test_header_that_lies_about_its_data() -> None:
    liar = handmade_png(512, 512, zlib.compress(b"\x00" * 100))
    with pytest.raises(AssetError, match="corrupt"):
        _avatar(liar)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20,
        png_bytes(64, 64, (1, 2, 3))[:60],
        b"\xff\xd8\xff\xe0" + b"\x13" * 200,
        b"GIF89a" + b"\x01" * 10,
        b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
    ],
)
def test_corrupt_files(data: bytes) -> None:
    with pytest.raises(AssetError) as info:
        decode_fitted("logo", data, 100, 100, crop=False)
    assert info.value.field == "logo"


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "svg"),
        (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "pdf"),
        (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 40, "tiff"),
        (b"BM" + b"\x00" * 60, "unknown"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00heic" + b"\x00" * 20, "heic"),
    ],
)
def test_unsupported_formats(data: bytes, label: str) -> None:
    assert label in sniff_format(data)
    with pytest.raises(AssetError, match="unsupported image format"):
        _avatar(data)


def test_real_tiff_is_refused_even_though_libvips_could_load_it() -> None:
    tiff = bytes(pyvips.Image.black(8, 8).tiffsave_buffer())
    with pytest.raises(AssetError, match="tiff"):
        _avatar(tiff)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif", "avif"])
def test_allowed_formats_decode(fmt: str) -> None:
    image = pyvips.Image.new_from_buffer(png_bytes(120, 90, (200, 40, 40)), "")
    data = bytes(image.write_to_buffer(f".{fmt}" if fmt != "jpeg" else ".jpg"))
    fitted = decode_fitted("avatar", data, 64, 64, crop=True)
    assert (fitted.width, fitted.height, fitted.bands) == (64, 64, 4)


def test_animated_gif_uses_first_frame() -> None:
    frames = pyvips.Image.arrayjoin(
        [pyvips.Image.black(20, 20).new_from_image(v).cast("uchar") for v in (255, 0, 0)],
        across=1,
    ).copy()
    frames.set_type(pyvips.GValue.gint_type, "page-height", 20)
    gif = bytes(frames.gifsave_buffer())
    fitted = decode_fitted("logo", gif, 20, 20, crop=False)
    assert fitted.height == 20 and fitted[0].avg() > 200
