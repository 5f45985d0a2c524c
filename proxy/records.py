"""What the service stores per slug, and where: the storage layout of DESIGN.md.

specs/<slug>.json             the spec record (its existence is the slug's existence)
images/<slug>/<variant>.<ext> the rendered bytes, with their ETag in object metadata
"""

from __future__ import annotations

import base64
import hashlib
import re

import msgspec

__all__ = [
    "FORMATS",
    "SLUG_RE",
    "ImageMeta",
    "SpecRecord",
    "etag_for",
    "image_key",
    "spec_key",
]

SLUG_RE = re.compile(r"[0-9A-Za-z]{12}")
# format -> (file extension, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "png": ("png", "image/png"),
    "jpeg": ("jpg", "image/jpeg"),
    "webp": ("webp", "image/webp"),
    "avif": ("avif", "image/avif"),
}
# The one rendering a slug serves at /i/<slug>; other variants (formats) may sit beside it.
PRIMARY_VARIANT = "card"


class SpecRecord(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    project: str
    # The canonical render spec (render-affecting fields only).
    spec: dict[str, object]
    format: str = "png"
    template_version: str = ""
    revision: int = 0
    created: float = 0.0


class ImageMeta(msgspec.Struct, frozen=True, array_like=True):
    """Everything needed to answer 200/304/HEAD without touching storage."""

    key: str
    etag: str
    size: int
    content_type: str
    modified: float


def spec_key(slug: str) -> str:
    return f"specs/{slug}.json"


def image_key(slug: str, fmt: str, variant: str = PRIMARY_VARIANT) -> str:
    return f"images/{slug}/{variant}.{FORMATS[fmt][0]}"


def etag_for(data: bytes) -> str:
    """A strong validator (RFC 9110 §8.8.3): a hash of the exact bytes, quoted."""
    digest = hashlib.sha256(data).digest()[:18]
    return '"' + base64.urlsafe_b64encode(digest).decode("ascii") + '"'
