"""What the service stores per slug: the spec record and the metadata that serves its image
(where they are stored is proxy/layout.py)."""

from __future__ import annotations

import base64
import hashlib
import re

import msgspec

from proxy.storage.base import ObjectInfo

__all__ = [
    "FORMATS",
    "PRIMARY_VARIANT",
    "SLUG_RE",
    "ImageMeta",
    "SpecRecord",
    "etag_for",
    "meta_from_info",
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
    # Asset role (avatar, logo, favicon, page_image) -> storage key of the bytes used, so an
    # on-demand render reproduces the original without fetching anything again.
    assets: dict[str, str] = {}
    # Generate API: what the page said (title, description, favicon URL), echoed on repeats.
    source: dict[str, str] = {}


class ImageMeta(msgspec.Struct, frozen=True, array_like=True):
    """Everything needed to answer 200/304/HEAD without touching storage."""

    key: str
    etag: str
    size: int
    content_type: str
    modified: float


def etag_for(data: bytes) -> str:
    """A strong validator (RFC 9110 §8.8.3): a hash of the exact bytes, quoted."""
    digest = hashlib.sha256(data).digest()[:18]
    return '"' + base64.urlsafe_b64encode(digest).decode("ascii") + '"'


def meta_from_info(key: str, info: ObjectInfo) -> ImageMeta:
    created = info.metadata.get("created", "")
    return ImageMeta(
        key=key,
        # Objects written by publish() carry their ETag; any other gets one from its identity.
        etag=info.metadata.get("etag") or etag_for(f"{key}:{info.size}:{info.modified}".encode()),
        size=info.size,
        content_type=info.content_type,
        modified=float(created) if created.isdigit() else float(int(info.modified)),
    )
