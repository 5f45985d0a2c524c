"""renderer.probe: format and size from the header, for what `ogedge check` reports."""

from __future__ import annotations

import zlib

import pytest
import pyvips

from renderer.probe import ImageInfo, probe_image

from .conftest import handmade_png, png_bytes


def _saved(fmt: str, width: int, height: int) -> bytes:
    image = pyvips.Image.black(width, height, bands=3)
    return bytes(getattr(image, f"{fmt}save_buffer")())


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "gif"])
def test_supported_formats_give_their_size(fmt: str) -> None:
    assert probe_image(_saved(fmt, 321, 123)) == ImageInfo(fmt, 321, 123)


def test_a_huge_header_is_read_without_decoding() -> None:
    # 30000 x 30000 claims 2.7 GB of pixels: the probe reads the claim, never the pixels.
    bomb = handmade_png(30000, 30000, zlib.compress(b"\x00" * 100))
    assert probe_image(bomb) == ImageInfo("png", 30000, 30000)


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "svg"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
        (b"BM" + b"\x00" * 60, "bmp"),
        (b"\x00\x00\x01\x00\x01\x00" + b"\x00" * 40, "ico"),
        (b"<!doctype html><html><body>not found</body></html>", "html"),
        (b"%PDF-1.7", "pdf"),
        (b"\x12\x34 random bytes", "unknown"),
    ],
)
def test_other_formats_are_named_not_read(data: bytes, fmt: str) -> None:
    info = probe_image(data)
    assert info == ImageInfo(fmt)
    assert not info.supported


def test_a_truncated_image_says_why_its_size_is_unknown() -> None:
    info = probe_image(png_bytes(64, 64, (1, 2, 3))[:30])
    assert (info.format, info.width, info.height) == ("png", None, None)
    assert info.error
    assert info.supported
