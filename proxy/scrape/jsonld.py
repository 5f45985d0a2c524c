"""JSON-LD (schema.org) in a page: what its structured data says about the page and the site.

Read defensively, since it is whatever a CMS plugin printed: at most a few scripts of bounded
size; invalid JSON is skipped, not repaired (only the old `<!-- -->` / CDATA wrappers and raw
line breaks inside strings, which browsers' own readers tolerate, are undone); nesting is
followed a fixed few levels (top level, `@graph`, `mainEntity`, `@id` references), never
recursively; lists are read to a bound.

Nodes are "content" (the article, product, video, place… the page is about) unless they are
the site, its owner, a person or page furniture (breadcrumbs, search boxes, ratings). Card
text and images come from content nodes only: an Organization's `image` is its logo, a
Person's is an avatar, and a WebSite's `description` is the site's tagline, not the page's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import msgspec
from selectolax.lexbor import LexborHTMLParser

from proxy.scrape.text import clean_text

__all__ = ["ImageRef", "JsonLd", "read_jsonld"]

_MAX_SCRIPTS = 8
_MAX_CHARS = 256 * 1024  # larger blocks are product catalogues or review dumps, not metadata
_MAX_NODES = 128
_MAX_ITEMS = 8  # items of a list value (images, publishers) considered
_MAX_TEXT = 8 * 1024  # longer strings are article bodies, not summaries

# Raw line breaks and tabs are invalid inside JSON strings but common in hand-written blocks;
# as spaces they are valid both inside strings and between tokens.
_RAW_BREAKS = str.maketrans("\r\n\t", "   ")
_TAG = re.compile(r"<[^>]{0,512}>")

_ORGS = frozenset({
    "Organization", "Corporation", "NewsMediaOrganization", "LocalBusiness", "OnlineStore",
    "OnlineBusiness", "Store", "EducationalOrganization", "GovernmentOrganization", "NGO",
})  # fmt: skip
_NOT_CONTENT = _ORGS | frozenset({
    "WebSite", "Person", "Brand", "BreadcrumbList", "ListItem", "SearchAction", "ImageObject",
    "SiteNavigationElement", "WPHeader", "WPFooter", "WPSideBar", "Offer", "AggregateOffer",
    "AggregateRating", "Rating", "PostalAddress", "ContactPoint", "GeoCoordinates",
})  # fmt: skip
_IMAGE_KEYS = ("image", "primaryImageOfPage", "thumbnailUrl", "thumbnail")


class ImageRef(msgspec.Struct, frozen=True):
    """An image a node names: its URL as written, and its size when declared."""

    url: str
    width: int | None = None
    height: int | None = None


def _unwrap(raw: str) -> str:
    # Blocks from the days of XHTML and old browsers: "<!-- {...} -->", "//<![CDATA[ ... //]]>".
    text = raw.strip()
    for opener in ("//<![CDATA[", "<![CDATA[", "<!--"):
        if text.startswith(opener):
            text = text[len(opener) :]
            break
    for closer in ("]]>", "-->"):
        if text.endswith(closer):
            text = text[: -len(closer)].rstrip().removesuffix("//")
            break
    return text


def _decode(raw: str) -> object:
    if len(raw) > _MAX_CHARS:
        return None
    text = _unwrap(raw).translate(_RAW_BREAKS)
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return None


def _types(node: dict[str, object]) -> frozenset[str]:
    raw = node.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    # "schema:NewsArticle" and "http://schema.org/NewsArticle" both mean NewsArticle.
    return frozenset(re.split(r"[/:#]", n)[-1] for n in names[:_MAX_ITEMS] if isinstance(n, str))


def _text(value: object) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@value")
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        return None
    # Plugins print titles already HTML-escaped ("Tom &amp; Jerry"), and sometimes markup.
    return clean_text(_TAG.sub(" ", html.unescape(value))) or None


def _dimension(value: object) -> int | None:
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and (digits := re.match(r"\s*(\d{1,5})", value)):
        return int(digits.group(1))
    return None


class JsonLd:
    """The nodes of a page's JSON-LD, and the card fields they give, best first."""

    def __init__(self, nodes: list[dict[str, object]]) -> None:
        self._nodes = nodes
        self._ids: dict[str, dict[str, object]] = {}
        for node in nodes:
            if isinstance(ident := node.get("@id"), str):
                self._ids.setdefault(ident, node)
        content = [n for n in nodes if _types(n) and not _types(n) & _NOT_CONTENT]
        # The thing the page is about before the page itself (a WebPage's name is the <title>).
        self._content = sorted(content, key=lambda n: any(t.endswith("Page") for t in _types(n)))

    def _resolve(self, value: object) -> object:
        if isinstance(value, dict) and isinstance(ident := value.get("@id"), str):
            return self._ids.get(ident, value)
        return value

    def _items(self, value: object) -> Iterator[object]:
        for item in (value if isinstance(value, list) else [value])[:_MAX_ITEMS]:
            yield self._resolve(item)

    def site_names(self) -> list[str]:
        """The WebSite's name, then the content's `publisher`, then an Organization's name.

        The WebSite node names the site itself; a publisher is often the company behind it
        (the Wikimedia Foundation for Wikipedia, a media group for a blog), so it comes second."""
        found = [_text(n.get("name")) for n in self._nodes if "WebSite" in _types(n)]
        for node in self._content:
            for publisher in self._items(node.get("publisher")):
                name = publisher.get("name") if isinstance(publisher, dict) else publisher
                found.append(_text(name))
        found += [_text(n.get("name")) for n in self._nodes if _types(n) & _ORGS]
        return list(dict.fromkeys(name for name in found if name))

    def headlines(self) -> list[str]:
        found = [_text(n.get("headline")) for n in self._content]
        found += [_text(n.get("name")) for n in self._content]
        return list(dict.fromkeys(text for text in found if text))

    def descriptions(self) -> list[str]:
        found = (_text(n.get("description")) for n in self._content)
        return list(dict.fromkeys(text for text in found if text))

    def images(self) -> list[ImageRef]:
        found: list[ImageRef] = []
        for node in self._content:
            for key in _IMAGE_KEYS:
                for item in self._items(node.get(key)):
                    if isinstance(item, str):
                        found.append(ImageRef(item.strip()))
                    elif isinstance(item, dict):
                        url = item.get("url") or item.get("contentUrl")
                        if isinstance(url, str):
                            width, height = item.get("width"), item.get("height")
                            found.append(ImageRef(url, _dimension(width), _dimension(height)))
        return found


def _collect(value: object, into: list[dict[str, object]], depth: int = 0) -> None:
    if len(into) >= _MAX_NODES or depth > 3:
        return
    if isinstance(value, list):
        for item in value[:_MAX_NODES]:
            _collect(item, into, depth + 1)
    elif isinstance(value, dict):
        into.append(value)
        _collect(value.get("@graph"), into, depth + 1)
        # A page (ProfilePage, QAPage, WebPage) often nests what it is about.
        if isinstance(main := value.get("mainEntity"), dict):
            _collect(main, into, depth + 1)


def read_jsonld(tree: LexborHTMLParser) -> JsonLd:
    """Every JSON-LD node of the page's first scripts, in document order."""
    nodes: list[dict[str, object]] = []
    for script in tree.css('script[type="application/ld+json" i]')[:_MAX_SCRIPTS]:
        _collect(_decode(script.text(deep=True)), nodes)
    return JsonLd(nodes)
