"""Safe decoding of untrusted image bytes (avatar, logo, favicon, page image).

Defence in depth, cheapest first: the format is sniffed from magic bytes and only PNG, JPEG,
WebP, GIF and AVIF are accepted; the header is read lazily and its pixel count checked
against the limit *before* any pixel is decoded; decoding runs with `fail_on="error"` so
truncated or corrupt data raises instead of producing garbage; libvips' untrusted loaders
are blocked process-wide (see `libvips.check_runtime`).
"""

from __future__ import annotations

import pyvips

from .errors import AssetError
from .libvips import check_runtime

__all__ = ["ALLOWED_FORMATS", "DEFAULT_MAX_PIXELS", "decode_fitted", "sniff_format"]

DEFAULT_MAX_PIXELS = 40_000_000
ALLOWED_FORMATS = ("png", "jpeg", "webp", "gif", "avif")

_LOADERS = {
    "png": "pngload_buffer",
    "jpeg": "jpegload_buffer",
    "webp": "webpload_buffer",
    "gif": "gifload_buffer",
    "avif": "heifload_buffer",
}


def sniff_format(data: bytes) -> str:
    """The format named by the magic bytes; a descriptive label for refused ones."""
    head = data[:64]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brands = {head[i : i + 4] for i in range(8, min(len(head), 40), 4)}
        return "avif" if brands & {b"avif", b"avis"} else "heic/other ISO-BMFF"
    stripped = head.lstrip()
    if stripped.startswith((b"<svg", b"<?xml")):
        return "svg"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return "unknown"


def _first_line(error: pyvips.Error) -> str:
    detail = (error.detail or error.message or "").strip().splitlines()
    return detail[0] if detail else "decode failed"


def decode_fitted(
    field: str,
    data: bytes,
    width: int,
    height: int,
    *,
    crop: bool,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> pyvips.Image:
    """Decode `data` to sRGB RGBA fitting width x height (cover if `crop`, else contain)."""
    check_runtime()  # the one place untrusted bytes reach libvips: loaders blocked first
    fmt = sniff_format(data)
    if fmt not in ALLOWED_FORMATS:
        raise AssetError(
            field, f"unsupported image format ({fmt}); allowed: PNG, JPEG, WebP, GIF, AVIF"
        )
    try:
        # Header only: libvips loads lazily, so this parses dimensions without pixels.
        header = pyvips.Operation.call(_LOADERS[fmt], data, access="sequential")
        pixels = int(header.width) * int(header.height)
        if pixels > max_pixels:
            raise AssetError(
                field,
                f"image is {header.width}x{header.height} ({pixels / 1e6:.1f} MP); "
                f"the limit is {max_pixels / 1e6:.1f} MP",
            )
        image = pyvips.Image.thumbnail_buffer(
            data,
            width,
            height=height,
            crop="centre" if crop else "none",
            size="both",
            option_string="fail_on=error",
        )
        if image.interpretation not in ("srgb", "b-w") or image.bands not in (1, 2, 3, 4):
            image = image.colourspace("srgb")
        if image.bands in (1, 2):
            image = image.colourspace("srgb")
        if image.format != "uchar":
            image = image.cast("uchar")
        if not image.hasalpha():
            image = image.bandjoin(255)
        return image.copy(interpretation="srgb").copy_memory()
    except pyvips.Error as exc:
        raise AssetError(field, f"corrupt or unreadable {fmt} image: {_first_line(exc)}") from None
