"""What an image is, without decoding it: bytes in, format and dimensions out.

For `ogedge check`, which must say "this og:image is 150x150" or "this is an SVG". The format
comes from the same magic-byte sniffer as decoding (images.sniff_format, plus names for a few
common formats it refuses), and the size from the header alone through the format's own
loader: no pixel is decoded, so a huge image costs no more than a small one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyvips

from .images import _LOADERS, ALLOWED_FORMATS, sniff_format
from .libvips import check_runtime

__all__ = ["ImageInfo", "probe_image"]


@dataclass(frozen=True, slots=True)
class ImageInfo:
    #: "png", "jpeg", "gif", "webp", "avif"; else what it looks like ("svg", "bmp", "unknown"…).
    format: str
    width: int | None = None
    height: int | None = None
    #: Why the size is unknown for a supported format (a corrupt or truncated header).
    error: str | None = None

    @property
    def supported(self) -> bool:
        """Whether the renderer, and so the report, can read this format."""
        return self.format in ALLOWED_FORMATS


def _named(data: bytes) -> str:
    fmt = sniff_format(data)
    if fmt != "unknown":
        return fmt
    head = data[:16]
    # Formats platforms are asked about and the sniffer leaves unnamed.
    if head[:2] == b"BM" and len(data) > 26:
        return "bmp"
    if head[:4] == b"\x00\x00\x01\x00":
        return "ico"
    if head.lstrip()[:1] == b"<":
        return "html" if b"<svg" not in data[:1024].lower() else "svg"
    return fmt


def probe_image(data: bytes) -> ImageInfo:
    """The format of `data` and, for a format the renderer reads, its width and height."""
    fmt = _named(data)
    if fmt not in ALLOWED_FORMATS:
        return ImageInfo(fmt)
    check_runtime()  # untrusted bytes reach libvips: its unsafe loaders are blocked first
    try:
        # Loaders are lazy: with sequential access this parses the header and no pixels.
        header = pyvips.Operation.call(_LOADERS[fmt], data, access="sequential")
        return ImageInfo(fmt, int(header.width), int(header.height))
    except pyvips.Error as exc:
        detail = (exc.detail or exc.message or "").strip().splitlines()
        return ImageInfo(fmt, error=detail[0] if detail else "unreadable header")
