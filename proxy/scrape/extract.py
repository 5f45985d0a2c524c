"""Fetched HTML -> the fields of a card (PageMeta), with the usual fallback chains.

Pure and synchronous: no network, no I/O. Lexbor (through selectolax) parses like a browser,
so broken markup, a missing `<head>` or stray tags give the same tree a browser would see.

The chains, each skipping placeholders and boilerplate (proxy.scrape.junk):
- title: og:title, twitter:title, `<title>`, JSON-LD headline/name, the first `<h1>`; the
  site's name glued to it is cut off when the page confirms it (proxy.scrape.names);
- site name: see names.name_page; the bare host last;
- description: og, twitter, meta description, JSON-LD, the article's first paragraph
  (proxy.scrape.body); never one that repeats the title or the site name;
- image: see proxy.scrape.images;
- favicon: see proxy.scrape.favicon.
A page whose `<title>` is a placeholder ("Just a moment...", "Loading…") is an interstitial
or an unrendered app shell: its body is not the content, so nothing is read from it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Literal

import msgspec
from selectolax.lexbor import LexborHTMLParser, LexborNode

from proxy.scrape.body import content_root, lede
from proxy.scrape.bounds import bounded
from proxy.scrape.colour import parse_colour
from proxy.scrape.favicon import IconLink, icon_rels, mask_icon_rel, rank_icons
from proxy.scrape.images import Candidate, body_images, choose_image, meta_images, poster_images
from proxy.scrape.jsonld import JsonLd, read_jsonld
from proxy.scrape.junk import is_boilerplate, is_placeholder
from proxy.scrape.names import name_page
from proxy.scrape.text import DESCRIPTION_MAX, TITLE_MAX, clean_text, fold, truncate
from proxy.scrape.urls import absolute_url, display_host

__all__ = ["PageMeta", "extract", "favicon_candidates"]

Direction = Literal["ltr", "rtl"]

# Enough for every real page; a hostile one with a million <meta> tags is read no further.
_MAX_META = 2000
_MAX_LINKS = 2000
# Longer attribute values are not card text; skipping them keeps clean-up cheap.
_MAX_VALUE = 8 * 1024
_LANG = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8})*", re.I)
# Primary language subtags written right to left.
_RTL_LANGS = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ps", "sd", "syr", "ug", "ur", "yi"})  # fmt: skip


class PageMeta(msgspec.Struct, frozen=True, kw_only=True):
    """What a page says about itself, cleaned and trimmed for the renderer.

    URLs are absolute http(s) (a favicon may also be a small raster `data:` URI); text fields
    have whitespace collapsed and fit the renderer's limits; None means the page says nothing
    usable (title and description) or nothing we can use (image, theme colour…)."""

    title: str | None = None
    description: str | None = None
    site_name: str | None = None
    #: The best favicon, i.e. favicons[0]; the origin's /favicon.ico when none is declared.
    favicon: str | None = None
    #: Every favicon candidate, best first, for a caller whose first fetch fails.
    favicons: tuple[str, ...] = ()
    image: str | None = None
    theme_color: str | None = None
    canonical_url: str | None = None
    lang: str | None = None
    dir: Direction = "ltr"


def _value(node: LexborNode, name: str) -> str:
    value = node.attributes.get(name)
    return value if value and len(value) <= _MAX_VALUE else ""


def _meta_pairs(tree: LexborHTMLParser) -> list[tuple[str, str]]:
    """(key, content) of every meta tag with content, in document order; the key is its
    `property`, `name` or `http-equiv` (lower case)."""
    found: list[tuple[str, str]] = []
    for node in tree.css("meta")[:_MAX_META]:
        content = clean_text(_value(node, "content"))
        if not content:
            continue
        for attr in ("property", "name", "http-equiv"):
            key = _value(node, attr).strip().lower()
            if key:
                found.append((key, content))
    return found


def _metas(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Key -> the first content. The first wins: pages list their primary tags first, and
    later duplicates come from widgets."""
    found: dict[str, str] = {}
    for key, content in pairs:
        found.setdefault(key, content)
    return found


def _titles(
    metas: dict[str, str], element: str | None, jsonld: JsonLd, heading: str | None
) -> list[str]:
    found = [metas.get("og:title"), metas.get("twitter:title"), element]
    found += [*jsonld.headlines(), heading]
    return [t for t in found if t and not is_placeholder(t)]


def _description(
    metas: dict[str, str], jsonld: JsonLd, root: LexborNode | None, avoid: list[str | None]
) -> str | None:
    seen = {fold(text) for text in avoid if text}

    def candidates() -> Iterator[str | None]:
        yield from (metas.get(k) for k in ("og:description", "twitter:description", "description"))
        yield from jsonld.descriptions()
        yield lede(root)  # last, and only read when nothing above is usable

    return next(
        (d for d in candidates() if d and not is_boilerplate(d) and fold(d) not in seen), None
    )


def _site_names(metas: dict[str, str], jsonld: JsonLd) -> list[str]:
    keys = ("application-name", "apple-mobile-web-app-title", "publisher")
    return [*jsonld.site_names(), *(metas[k] for k in keys if k in metas)]


def _base(tree: LexborHTMLParser, page_url: str) -> str:
    # The first <base> with an href counts; one that is not http(s) is ignored.
    for node in tree.css("base[href]")[:1]:
        resolved = absolute_url(node.attributes.get("href"), page_url)
        if resolved is not None:
            return resolved
    return page_url


def _in_svg(node: LexborNode) -> bool:
    parent, depth = node.parent, 0
    while parent is not None and depth < 256:
        if parent.tag == "svg":
            return True
        parent, depth = parent.parent, depth + 1
    return False


def _title_element(tree: LexborHTMLParser) -> str | None:
    # <title> inside an inline <svg> names the drawing, not the page.
    for node in tree.css("title")[:32]:
        if not _in_svg(node):
            return clean_text(node.text(deep=True)) or None
    return None


def _heading(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("h1")
    if node is None:
        return None
    for br in node.css("br"):
        br.replace_with(" ")
    for hidden in node.css("script, style, template"):
        hidden.decompose()
    return clean_text(node.text(deep=True)) or None


def _trimmed(value: str | None, limit: int) -> str | None:
    return truncate(value, limit) if value else None


def _image(
    pairs: list[tuple[str, str]],
    jsonld: JsonLd,
    tree: LexborHTMLParser,
    root: LexborNode | None,
    base: str,
) -> str | None:
    def candidates() -> Iterator[Candidate]:
        yield from meta_images(pairs)
        yield from (Candidate(i.url, i.width, i.height) for i in jsonld.images())
        yield from (Candidate(_value(n, "href")) for n in tree.css('link[rel~="image_src" i]')[:1])
        yield from poster_images(tree)
        yield from body_images(root)

    return choose_image(candidates(), base)


def _theme_color(tree: LexborHTMLParser) -> str | None:
    # Sites may give a light and a dark theme-color; cards are drawn light, so prefer one
    # without a media query or for a light scheme, then any.
    nodes = tree.css('meta[name="theme-color" i]')[:16]
    ordered = sorted(nodes, key=lambda n: "dark" in _value(n, "media").lower())
    return next((c for n in ordered if (c := parse_colour(_value(n, "content")))), None)


def _lang(tree: LexborHTMLParser, metas: dict[str, str]) -> str | None:
    html = tree.css_first("html")
    candidates = [
        _value(html, "lang") if html is not None else "",
        metas.get("content-language", "").split(",")[0],
        metas.get("og:locale", "").replace("_", "-"),
    ]
    return next((c.strip() for c in candidates if _LANG.fullmatch(c.strip())), None)


def _direction(tree: LexborHTMLParser, lang: str | None, title: str | None) -> Direction:
    for selector in ("html", "body"):
        node = tree.css_first(selector)
        declared = _value(node, "dir").strip().lower() if node is not None else ""
        if declared in ("ltr", "rtl"):
            return "rtl" if declared == "rtl" else "ltr"
    if lang is not None:
        return "rtl" if lang.split("-")[0].lower() in _RTL_LANGS else "ltr"
    # No declaration at all: the first strong character of the title decides, as dir=auto does.
    for ch in title or "":
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def _icon_links(tree: LexborHTMLParser) -> list[IconLink]:
    links: list[IconLink] = []
    for node in tree.css("link[rel][href]")[:_MAX_LINKS]:
        rel = _value(node, "rel")
        if icon_rels(rel) or mask_icon_rel(rel):
            links.append(
                IconLink(_value(node, "href"), rel, _value(node, "sizes"), _value(node, "type"))
            )
    return links


def _parse(html: str) -> LexborHTMLParser:
    # Cut first: some markup makes tree construction quadratic (see proxy.scrape.bounds).
    return LexborHTMLParser(bounded(html))


def favicon_candidates(html: str | LexborHTMLParser, base_url: str) -> tuple[str, ...]:
    """Icon URLs of a page, best first, ending with the origin's `/favicon.ico` (see
    proxy.scrape.favicon for the order). `base_url` is the page's final URL."""
    tree = _parse(html) if isinstance(html, str) else html
    return rank_icons(_icon_links(tree), _base(tree, base_url), base_url)


def extract(html: str, base_url: str) -> PageMeta:
    """Card fields of a decoded page; `base_url` is the final URL it was fetched from."""
    tree = _parse(html)
    pairs = _meta_pairs(tree)
    metas = _metas(pairs)
    base = _base(tree, base_url)
    jsonld = read_jsonld(tree)
    element = _title_element(tree)
    shell = element is not None and is_placeholder(element)
    if shell:
        element = None  # "Attention Required! | Cloudflare" names no site either
    heading = None if shell else _heading(tree)
    root = None if shell else content_root(tree)
    titles = _titles(metas, element, jsonld, heading)
    title, site_name = name_page(
        titles, element, metas.get("og:site_name"), _site_names(metas, jsonld), heading, base_url
    )
    site_name = site_name or display_host(base_url)
    description = _description(metas, jsonld, root, [title, *titles[:1], site_name])
    canonicals = [_value(n, "href") for n in tree.css('link[rel~="canonical" i]')[:1]]
    canonical = next(
        (u for h in [*canonicals, metas.get("og:url")] if (u := absolute_url(h, base))), None
    )
    favicons = favicon_candidates(tree, base_url)
    lang = _lang(tree, metas)
    return PageMeta(
        title=_trimmed(title, TITLE_MAX),
        description=_trimmed(description, DESCRIPTION_MAX),
        site_name=_trimmed(site_name, TITLE_MAX),
        favicon=favicons[0] if favicons else None,
        favicons=favicons,
        image=_image(pairs, jsonld, tree, root, base),
        theme_color=_theme_color(tree),
        canonical_url=canonical,
        lang=lang,
        dir=_direction(tree, lang, title),
    )
