"""Ranking a page's icons for a card: the best drawable one first.

The renderer (libvips) decodes PNG, JPEG, GIF, WebP and AVIF, but neither SVG nor ICO. So
raster icons come first, larger before smaller (a card draws them at 64-128 px, and a big icon
scales down cleanly while a 16 px one blurs); then icons of unknown type; then ICO files, which
the caller may still convert; then the origin's `/favicon.ico`; SVG last, listed only so a
caller that can rasterise it has it. Order within a class follows the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from proxy.scrape.urls import absolute_url, data_image_type, origin_favicon

__all__ = ["IconLink", "icon_rels", "rank_icons"]

_ICON_RELS = frozenset({"icon", "apple-touch-icon", "apple-touch-icon-precomposed"})
_SIZE = re.compile(r"(\d{1,5})[xX](\d{1,5})")
# Apple's documented default for a touch icon without `sizes`.
_APPLE_DEFAULT = 180
# A plain `rel=icon` without sizes is usually the 16/32 px browser-tab icon.
_ICON_DEFAULT = 32
# `sizes="any"` marks a scalable icon; rank it as large.
_ANY = 512
_MAX_LINKS = 64  # a page with thousands of icon links gets its first ones considered

_RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})
_ICO_TYPES = frozenset({"image/x-icon", "image/vnd.microsoft.icon", "image/ico", "image/icon"})
_EXTENSIONS = {
    ".png": "raster", ".jpg": "raster", ".jpeg": "raster", ".gif": "raster",
    ".webp": "raster", ".avif": "raster", ".ico": "ico", ".svg": "svg", ".svgz": "svg",
}  # fmt: skip
# Sort classes, best first; the origin's /favicon.ico goes between "ico" and "svg".
_CLASS_RANK = {"raster": 0, "unknown": 1, "ico": 2, "svg": 4}
_ORIGIN_RANK = 3


class IconLink(NamedTuple):
    """A `<link>` naming an icon, attributes as written in the page."""

    href: str
    rel: str
    sizes: str = ""
    type: str = ""


def icon_rels(rel: str) -> bool:
    """Whether a `rel` attribute names an icon (`icon`, `shortcut icon`, `apple-touch-icon`…).
    `mask-icon` (a monochrome Safari SVG) is not one."""
    return not _ICON_RELS.isdisjoint(rel.lower().split())


def _kind(link: IconLink, url: str) -> str:
    media = link.type.strip().lower().partition(";")[0].strip()
    if media in _RASTER_TYPES:
        return "raster"
    if media in _ICO_TYPES:
        return "ico"
    if media == "image/svg+xml":
        return "svg"
    if url.startswith("data:"):
        return "raster"  # only raster data: URIs reach here (see urls.data_image_type)
    path = url.split("?", 1)[0].lower()
    dot = path.rfind(".")
    ext = path[dot:] if dot > path.rfind("/") else ""
    return _EXTENSIONS.get(ext, "unknown")


def _size(link: IconLink) -> int:
    best = 0
    for token in link.sizes.lower().split()[:16]:
        if token == "any":
            best = max(best, _ANY)
        elif match := _SIZE.fullmatch(token):
            best = max(best, min(int(match.group(1)), int(match.group(2))))
    if best:
        return best
    return _APPLE_DEFAULT if "apple-touch-icon" in link.rel.lower() else _ICON_DEFAULT


def _resolve(href: str, base: str) -> str | None:
    if href.strip().lower().startswith("data:"):
        return href.strip() if data_image_type(href) else None
    return absolute_url(href, base)


def rank_icons(links: Iterable[IconLink], base: str, page_url: str) -> tuple[str, ...]:
    """Icon URLs, best first, de-duplicated, ending with the origin's `/favicon.ico`.

    `base` resolves hrefs (the `<base href>` or the page URL); `page_url` gives the origin."""
    ranked: list[tuple[int, int, int, str]] = []
    for order, link in enumerate(links):
        if order >= _MAX_LINKS:
            break
        url = _resolve(link.href, base)
        if url is None:
            continue
        ranked.append((_CLASS_RANK[_kind(link, url)], -_size(link), order, url))
    fallback = origin_favicon(page_url)
    if fallback is not None:
        ranked.append((_ORIGIN_RANK, 0, 0, fallback))
    ranked.sort()
    seen: dict[str, None] = {}
    for *_, url in ranked:
        seen.setdefault(url, None)
    return tuple(seen)
