"""Ranking a page's icons for a card: the best drawable one first.

The renderer (libvips) decodes PNG, JPEG, GIF, WebP and AVIF, but neither SVG nor ICO. So
raster icons come first, larger before smaller (a card draws them at 64-128 px, and a big icon
scales down cleanly while a 16 px one blurs); then icons of unknown type; then ICO files, which
the caller may still convert; then the origin's `/favicon.ico`; then SVG, and Safari's
monochrome `mask-icon` SVG last, listed only so a caller that can rasterise them has them.
Order within a class follows the document.

A size is taken from evidence before assumption: the `sizes` attribute (`32x32`, `32X32`, or
with the multiplication sign U+00D7), else a size written in the file name (`favicon-32x32.png`, `icon-192.png`,
`logo192.png`), else a default by kind (Apple's 180 px for a touch icon, 32 px for a tab icon).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from proxy.scrape.urls import absolute_url, data_image_type, origin_favicon, size_in_name

__all__ = ["IconLink", "icon_rels", "mask_icon_rel", "rank_icons"]

_ICON_RELS = frozenset({"icon", "apple-touch-icon", "apple-touch-icon-precomposed"})
# The multiplication sign (U+00D7) is what a typographer writes and some generators emit; browsers ignore such a
# token, but it is still the page telling us the size.
_SIZE = re.compile(r"(\d{1,5})[x\u00d7](\d{1,5})")
# Icon sizes named in a file outside this range are a version or a date, not pixels.
_NAME_RANGE = range(16, 1025)
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
_CLASS_RANK = {"raster": 0, "unknown": 1, "ico": 2, "svg": 4, "mask": 5}
_ORIGIN_RANK = 3


class IconLink(NamedTuple):
    """A `<link>` naming an icon, attributes as written in the page."""

    href: str
    rel: str
    sizes: str = ""
    type: str = ""


def icon_rels(rel: str) -> bool:
    """Whether a `rel` attribute names an icon (`icon`, `shortcut icon`, `apple-touch-icon`…).
    `mask-icon` (a monochrome Safari SVG) is not one: see mask_icon_rel."""
    return not _ICON_RELS.isdisjoint(rel.lower().split())


def mask_icon_rel(rel: str) -> bool:
    """Whether a `rel` names Safari's pinned-tab icon: a one-colour SVG, ranked last."""
    return "mask-icon" in rel.lower().split()


def _path(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0].lower()


def _kind(link: IconLink, url: str) -> str:
    if mask_icon_rel(link.rel) and not icon_rels(link.rel):
        return "mask"
    if url.startswith("data:"):
        return "raster"  # only raster data: URIs reach here (see urls.data_image_type)
    path = _path(url)
    dot = path.rfind(".")
    by_name = _EXTENSIONS.get(path[dot:] if dot > path.rfind("/") else "", "unknown")
    if "apple-touch-icon" in link.rel.lower():
        # Apple requires touch icons to be PNG, so one served without an extension
        # ("/apple-touch-icon", a CDN hash) or mislabelled type="image/x-icon" is a PNG; only
        # a name that says otherwise (".ico", ".svg") is believed.
        return "raster" if by_name == "unknown" else by_name
    media = link.type.strip().lower().partition(";")[0].strip()
    if media in _RASTER_TYPES:
        return "raster"
    if media in _ICO_TYPES:
        return "ico"
    if media == "image/svg+xml":
        return "svg"
    return by_name


def _name_size(url: str) -> int:
    if url.startswith("data:"):
        return 0
    size = size_in_name(url, bare=True)
    return min(size) if size is not None and min(size) in _NAME_RANGE else 0


def _size(link: IconLink, url: str) -> int:
    best = 0
    for token in link.sizes.lower().split()[:16]:
        if token == "any":
            best = max(best, _ANY)
        elif match := _SIZE.fullmatch(token):
            best = max(best, min(int(match.group(1)), int(match.group(2))))
    if best:
        return best
    if named := _name_size(url):
        return named
    return _APPLE_DEFAULT if "apple-touch-icon" in link.rel.lower() else _ICON_DEFAULT


def _resolve(href: str, base: str) -> str | None:
    if href.strip().lower().startswith("data:"):
        return href.strip() if data_image_type(href) else None
    return absolute_url(href, base)


def rank_icons(links: Iterable[IconLink], base: str, page_url: str) -> tuple[str, ...]:
    """Icon URLs, best first, de-duplicated, ending with the origin's `/favicon.ico` (and any
    SVG or mask icon after it).

    `base` resolves hrefs (the `<base href>` or the page URL); `page_url` gives the origin."""
    ranked: list[tuple[int, int, int, str]] = []
    for order, link in enumerate(links):
        if order >= _MAX_LINKS:
            break
        url = _resolve(link.href, base)
        if url is None:
            continue
        ranked.append((_CLASS_RANK[_kind(link, url)], -_size(link, url), order, url))
    fallback = origin_favicon(page_url)
    if fallback is not None:
        ranked.append((_ORIGIN_RANK, 0, 0, fallback))
    ranked.sort()
    seen: dict[str, None] = {}
    for *_, url in ranked:
        seen.setdefault(url, None)
    return tuple(seen)
