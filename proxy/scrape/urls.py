"""Resolving the URLs a page names: `<base href>`, relative and protocol-relative forms, and
the rule that only http(s) (plus small raster `data:` favicons) survive."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

__all__ = [
    "DATA_ICON_MAX",
    "MAX_URL",
    "absolute_url",
    "data_image_type",
    "display_host",
    "origin_favicon",
    "size_in_name",
]

#: Longer URLs are dropped: nothing legitimate needs more, and they are cheap to send.
MAX_URL = 4096
#: `data:` favicons are kept up to this many characters (about 24 KiB of image): inline icons
#: are small, and the renderer takes `data:` assets anyway. Larger ones are dropped.
DATA_ICON_MAX = 32 * 1024

_SCHEMES = frozenset({"http", "https"})
# The WHATWG URL parser strips leading/trailing C0 controls and spaces and removes tabs and
# newlines anywhere, so "java\nscript:" is "javascript:"; do the same before judging a scheme.
_STRIP = "".join(chr(c) for c in range(0x21))
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_HAS_AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://", re.I)
# "icon-32x32.png", "hero_1600x900.jpg": a size written into a file name. Sides under 10 are an
# aspect ratio ("16x9", "4x3"), not pixels.
_NAME_PAIR = re.compile(r"(\d{2,5})[x\u00d7](\d{2,5})")
# "icon-192.png", "logo192.png": a bare number, which only an icon's name uses for its size.
_NAME_BARE = re.compile(r"[a-z]*?(\d{2,4})")
_NAME_TOKENS = re.compile(r"[^a-z0-9\u00d7]+")
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif|webp));base64,[A-Za-z0-9+/=\s]+", re.I)


def _clean(href: str) -> str:
    return _TAB_NEWLINE.sub("", href.strip(_STRIP))


def data_image_type(href: str) -> str | None:
    """The media type of a small base64 raster `data:` URI, else None (SVG is never one:
    the renderer cannot draw it)."""
    href = _clean(href)
    if len(href) > DATA_ICON_MAX:
        return None
    match = _DATA_IMAGE.fullmatch(href)
    return match.group(1).lower() if match else None


def absolute_url(href: str | None, base: str) -> str | None:
    """`href` resolved against `base`, if the result is a fetchable http(s) URL: with a host,
    no userinfo (the guarded client refuses it), a valid port, and no fragment."""
    if not href:
        return None
    href = _clean(href)
    if not href or len(href) > MAX_URL:
        return None
    try:
        # urljoin reads "https://" (no host) as "the base itself"; a URL must name its host.
        if _HAS_AUTHORITY.match(href) and not urlsplit(href).hostname:
            return None
        parts = urlsplit(urljoin(base, href))
        port = parts.port  # raises ValueError on a port out of range or not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in _SCHEMES or not parts.hostname or "@" in parts.netloc:
        return None
    if port == 0:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, ""))


def origin_favicon(page_url: str) -> str | None:
    """`/favicon.ico` on the page's origin: the icon browsers ask for when none is declared."""
    return absolute_url("/favicon.ico", page_url)


def display_host(page_url: str) -> str:
    """The page's host as people read it: lower case, no `www.`, IDNA decoded."""
    try:
        host = urlsplit(page_url).hostname or ""
    except ValueError:
        return ""
    if host.startswith("www."):
        host = host[4:]
    try:
        return host.encode("ascii").decode("idna") if "xn--" in host else host
    except UnicodeError:
        return host


def size_in_name(url: str, *, bare: bool = False) -> tuple[int, int] | None:
    """The (width, height) written in the last path segment's name ("favicon-32x32.png"), the
    largest if several; with `bare`, a lone number ("icon-192.png") counts as a square."""
    name = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1].lower()
    stem = name.rsplit(".", 1)[0] if "." in name else name
    best: tuple[int, int] | None = None
    for token in _NAME_TOKENS.split(stem)[:16]:
        if pair := _NAME_PAIR.fullmatch(token):
            size = (int(pair.group(1)), int(pair.group(2)))
        elif bare and (single := _NAME_BARE.fullmatch(token)):
            size = (int(single.group(1)),) * 2
        else:
            continue
        if best is None or min(size) > min(best):
            best = size
    return best
