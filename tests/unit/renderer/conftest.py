"""Shared helpers for renderer tests: decoding output, fixtures made in memory, SSIM."""

from __future__ import annotations

import struct
import zlib

import pytest
import pyvips

from renderer import Assets, Rendered


def decode(card: Rendered) -> pyvips.Image:
    return pyvips.Image.new_from_buffer(card.data, "")


def png_bytes(width: int, height: int, colour: tuple[int, int, int], alpha: bool = False) -> bytes:
    """A real PNG (drawn with libvips) with a gradient so crops and masks are visible."""
    xy = pyvips.Image.xyz(width, height)
    image = (xy[0] / max(1, width) * 120 + list(colour)).cast("uchar")
    image = image.copy(interpretation="srgb")
    if alpha:
        image = image.bandjoin(255)
    return bytes(image.pngsave_buffer())


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def handmade_png(width: int, height: int, idat: bytes) -> bytes:
    """A PNG whose header claims width x height, with whatever IDAT we choose."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def ssim(a: pyvips.Image, b: pyvips.Image, block: int = 8) -> float:
    """Mean SSIM over block x block windows of the luminance, computed with libvips."""

    def grey(image: pyvips.Image) -> pyvips.Image:
        return image.colourspace("b-w")[0].cast("float")

    x, y = grey(a), grey(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = x.shrink(block, block), y.shrink(block, block)
    vx = (x * x).shrink(block, block) - mx * mx
    vy = (y * y).shrink(block, block) - my * my
    cov = (x * y).shrink(block, block) - mx * my
    index = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(index.avg())


@pytest.fixture(scope="session")
def assets() -> Assets:
    return Assets(
        avatar=png_bytes(200, 200, (60, 90, 160)),
        logo=png_bytes(240, 60, (200, 200, 210), alpha=True),
        page_image=png_bytes(800, 500, (40, 120, 90)),
    )
