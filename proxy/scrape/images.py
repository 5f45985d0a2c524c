"""Choosing a page's card image: what the page declares first, junk never.

Candidates, best first: each og:image (with its og:image:secure_url, width, height and type,
which follow it), twitter:image, JSON-LD images of the page's content, `<link rel=image_src>`,
a `<video poster>`, and last the lead image of the article body. The first one that is not
junk wins. Junk is what a person would never share a page with:

- what the renderer cannot draw or is not a picture: `data:` URIs, SVG (logos, lazy-load
  placeholders);
- tiny images: a declared width or height (og:image:width, `width=`, JSON-LD, a `64x64` in the
  file name, `?w=48` in the query) under MIN_SIDE px. Avatars, badges and tracking pixels;
- known placeholder and tracking names (`blank.gif`, `spacer.gif`, `pixel.gif`, `1x1.png`,
  `/tr?id=`, `pixel.` hosts) and emoji images (WordPress's, Twemoji).

An `<img>` from the body is taken only with evidence that it is the article's picture: it is in
the content root (see proxy.scrape.body), it is not marked as an avatar, logo, icon or emoji,
and its size is known (attributes or file name) to be at least BODY_MIN_WIDTH x BODY_MIN_HEIGHT.
Lazy-loading pages keep the real URL in `data-src` (and similar) and a placeholder in `src`, so
those attributes are read first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from proxy.scrape.urls import absolute_url, size_in_name

__all__ = [
    "BODY_MIN_HEIGHT",
    "BODY_MIN_WIDTH",
    "MIN_SIDE",
    "Candidate",
    "body_images",
    "choose_image",
    "is_junk_image",
    "meta_images",
    "poster_images",
]

#: Images smaller than this on a side are icons, avatars or pixels, never a card's picture.
MIN_SIDE = 100
#: A body image must be known to be at least this large to count as the article's picture.
BODY_MIN_WIDTH = 300
BODY_MIN_HEIGHT = 150
_MAX_BODY_IMAGES = 32

_PLACEHOLDER_STEM = re.compile(
    r"(?:blank|spacer|pixel|transparent|clear|empty|1x1|placeholder|lazy|lazyload|loading"
    r"|loader|spinner|shim|trans|px|dot|grey|gray|tracking|beacon)(?:[-_.]?(?:gif|png|img))?"
)
_EMOJI = re.compile(r"/(?:tw)?emojis?/|twemoji|/emoji[-_]", re.I)
_TRACKING_HOSTS = ("pixel.", "stats.", "beacon.", "analytics.", "track.", "tracking.")
_TRACKING_PATHS = frozenset({"/tr", "/collect", "/g/collect", "/__utm.gif", "/b/ss", "/p.gif"})
_QUERY_SIZES = frozenset({"w", "width", "h", "height", "size", "sz"})
# Classes and ids of images that are furniture, not the article's picture.
_BODY_SKIP = re.compile(r"avatar|emoji|logo|icon|badge|sprite|gravatar|author", re.I)
_LAZY_ATTRS = ("data-lazy-src", "data-src", "data-original", "data-lazy", "src")


class Candidate(NamedTuple):
    """An image the page names, as written, with its declared size and type if any."""

    href: str
    width: int | None = None
    height: int | None = None
    type: str = ""


def _int(value: str | None) -> int | None:
    match = re.match(r"\s*(\d{1,5})\s*(?:px)?\s*$", value or "")
    return int(match.group(1)) if match else None


def meta_images(pairs: Iterable[tuple[str, str]]) -> list[Candidate]:
    """og:image records (structured properties apply to the og:image before them), then
    twitter:image and twitter:image:src, in document order."""
    records: list[dict[str, str]] = []
    tweets: list[Candidate] = []
    for key, value in pairs:
        if key == "og:image" or (key == "og:image:url" and not _same(records, "url", value)):
            records.append({"url": value})
        elif key == "og:image:secure_url":
            if not records or "secure" in records[-1]:
                records.append({})
            records[-1]["secure"] = value
        elif key in ("og:image:width", "og:image:height", "og:image:type") and records:
            records[-1].setdefault(key.rsplit(":", 1)[1], value)
        elif key in ("twitter:image", "twitter:image:src"):
            tweets.append(Candidate(value))
    found: list[Candidate] = []
    for record in records:
        hrefs = [record.get("url", ""), record.get("secure", "")]
        # The same picture over https is the better address when og:image is plain http.
        if hrefs[0].lower().startswith("http:") and hrefs[1].lower().startswith("https:"):
            hrefs.reverse()
        width, height = _int(record.get("width")), _int(record.get("height"))
        found += [Candidate(h, width, height, record.get("type", "")) for h in hrefs if h]
    return found + tweets


def _same(records: list[dict[str, str]], key: str, value: str) -> bool:
    # og:image:url right after an og:image names the same image, not a second one.
    return bool(records) and records[-1].get(key, value) == value


def poster_images(tree: LexborHTMLParser) -> list[Candidate]:
    return [
        Candidate(n.attributes.get("poster") or "", _int(n.attributes.get("width")))
        for n in tree.css("video[poster]")[:4]
    ]


def _tiny(width: int | None, height: int | None) -> bool:
    return any(side is not None and side < MIN_SIDE for side in (width, height))


def is_junk_image(url: str, width: int | None = None, height: int | None = None, media: str = "") -> bool:  # fmt: skip
    """Whether an absolute image URL (with what the page declares of it) is junk; see above."""
    parts = urlsplit(url)
    path = parts.path.lower()
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if media.strip().lower().startswith("image/svg") or path.endswith((".svg", ".svgz")):
        return True
    if _tiny(width, height) or _tiny(*(size_in_name(url) or (None, None))):
        return True
    query = [(k.lower(), _int(v)) for k, v in parse_qsl(parts.query)[:32]]
    if any(k in _QUERY_SIZES and v is not None and v < MIN_SIDE for k, v in query):
        return True
    if "avatar" in path and any(k == "s" and v is not None and v < MIN_SIDE for k, v in query):
        return True  # Gravatar and its clones: ?s=48
    host = (parts.hostname or "").lower()
    if host.startswith(_TRACKING_HOSTS) or path in _TRACKING_PATHS:
        return True
    return _PLACEHOLDER_STEM.fullmatch(stem) is not None or _EMOJI.search(path) is not None


def _lazy_src(node: LexborNode) -> str:
    for attr in _LAZY_ATTRS:
        value = (node.attributes.get(attr) or "").strip()
        # data: placeholders, and templates a script fills in ("..._{width}x.jpg").
        if value and not value.lower().startswith("data:") and "{" not in value:
            return value
    return ""


def body_images(root: LexborNode | None) -> Iterator[Candidate]:
    """The content root's images that are known to be large, in document order."""
    if root is None:
        return
    for node in root.css("img")[:_MAX_BODY_IMAGES]:
        attrs = node.attributes
        marks = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if _BODY_SKIP.search(marks) or (attrs.get("aria-hidden") or "").lower() == "true":
            continue
        if not (href := _lazy_src(node)):
            continue
        width, height = _int(attrs.get("width")), _int(attrs.get("height"))
        if width is None and height is None:
            width, height = size_in_name(href) or (None, None)
        if width is None or width < BODY_MIN_WIDTH:
            continue
        if height is not None and height < BODY_MIN_HEIGHT:
            continue
        yield Candidate(href, width, height)


def choose_image(candidates: Iterable[Candidate], base: str) -> str | None:
    """The first candidate that resolves to an http(s) URL and is not junk."""
    for candidate in candidates:
        url = absolute_url(candidate.href, base)
        if url is not None and not is_junk_image(url, candidate.width, candidate.height, candidate.type):  # fmt: skip
            return url
    return None
