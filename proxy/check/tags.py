"""A page's sharing tags as each platform reads them: every `og:*`, `twitter:*` and plain `<meta>`
value in document order, plus the `<title>` element.

Read here rather than through proxy.scrape.extract, which already picks one value per field for
the renderer: a checker needs the tags themselves, to say which one a platform took and which
fallback it would have needed. Pure: no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from proxy.scrape.bounds import bounded
from proxy.scrape.text import clean_text
from proxy.scrape.urls import absolute_url

__all__ = ["TITLE_ELEMENT", "PageTags", "read_tags"]

#: How platforms.toml names the `<title>` element among the meta tags.
TITLE_ELEMENT = "<title>"
# Enough for any real page; a hostile one with a million <meta> tags is read no further.
_MAX_META = 2000
# Longer values are no card text and no URL anyone shares.
_MAX_VALUE = 8 * 1024
# A page may name its card type more than once; X takes the last (its getting-started guide).
_LAST_WINS = frozenset({"twitter:card"})


@dataclass(frozen=True, slots=True)
class PageTags:
    #: Lower-case `property` / `name` -> every non-empty content, in document order.
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    title_element: str | None = None
    #: What relative URLs resolve against: the `<base href>`, else the page's final URL.
    base: str = ""

    def get(self, tag: str) -> str | None:
        """The value a platform reads for `tag`, or None when the page does not have it."""
        if tag == TITLE_ELEMENT:
            return self.title_element
        found = self.values.get(tag.lower())
        if not found:
            return None
        return found[-1] if tag.lower() in _LAST_WINS else found[0]

    def first(self, tags: tuple[str, ...]) -> tuple[str, str] | None:
        """(tag, value) of the first of `tags` the page has."""
        for tag in tags:
            value = self.get(tag)
            if value is not None:
                return tag, value
        return None

    def url(self, value: str) -> str | None:
        """`value` as an absolute http(s) URL, or None when it cannot be one."""
        return absolute_url(value, self.base)


def _attr(node: LexborNode, name: str) -> str:
    value = node.attributes.get(name)
    return value if value and len(value) <= _MAX_VALUE else ""


def _in_svg(node: LexborNode) -> bool:
    parent, depth = node.parent, 0
    while parent is not None and depth < 256:
        if parent.tag == "svg":
            return True
        parent, depth = parent.parent, depth + 1
    return False


def _title(tree: LexborHTMLParser) -> str | None:
    # A <title> inside an inline <svg> names the drawing, not the page.
    for node in tree.css("title")[:32]:
        if not _in_svg(node):
            return clean_text(node.text(deep=True)) or None
    return None


def _base(tree: LexborHTMLParser, page_url: str) -> str:
    for node in tree.css("base[href]")[:1]:
        resolved = absolute_url(node.attributes.get("href"), page_url)
        if resolved is not None:
            return resolved
    return page_url


def read_tags(html: str, page_url: str) -> PageTags:
    """The tags of a decoded page fetched from `page_url` (its final URL)."""
    # Cut first: some markup makes tree construction quadratic (see proxy.scrape.bounds).
    tree = LexborHTMLParser(bounded(html))
    found: dict[str, list[str]] = {}
    for node in tree.css("meta")[:_MAX_META]:
        content = clean_text(_attr(node, "content"))
        if not content:
            continue
        # A tag may carry both (`<meta property="og:title" name="title">`): both names count.
        for attr in ("property", "name"):
            key = _attr(node, attr).strip().lower()
            if key:
                found.setdefault(key, []).append(content)
    return PageTags(
        values={k: tuple(v) for k, v in found.items()},
        title_element=_title(tree),
        base=_base(tree, page_url),
    )
