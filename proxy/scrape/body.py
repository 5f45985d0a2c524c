"""The page's main content, read when its head says too little: where the article is, and its
first real paragraph (the lede), which is what a person quotes when a page has no summary.

Only the content root is read (`<article>`, else the article body, else `<main>`): navigation,
headers and footers around it are the site's, not the page's. Inside it, paragraphs in page
furniture (cookie and newsletter banners, bylines, captions, quotes, forms, tables) are
skipped, and so is anything shorter than a sentence or that reads as a notice (see junk).
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from proxy.scrape.junk import is_boilerplate
from proxy.scrape.text import clean_text

__all__ = ["LEDE_MIN", "content_root", "lede"]

_ROOTS = ("article", '[itemprop="articleBody" i]', "main", '[role="main" i]')
#: Shorter paragraphs are datelines, captions or "Day one 🎉", not a summary.
LEDE_MIN = 80
_MAX_PARAGRAPHS = 64
_MAX_DEPTH = 32
_FURNITURE_TAGS = frozenset({
    "nav", "header", "footer", "aside", "form", "figure", "figcaption", "noscript",
    "blockquote", "table", "button", "label", "dialog", "template",
})  # fmt: skip
_FURNITURE_MARKS = re.compile(
    r"cookie|consent|gdpr|banner|newsletter|subscribe|promo|modal|popup|alert|notice|byline"
    r"|caption|share|related|comment|advert|sponsor",
    re.I,
)


def content_root(tree: LexborHTMLParser) -> LexborNode | None:
    """The element holding the page's own content, or None when the page marks none."""
    for selector in _ROOTS:
        if (node := tree.css_first(selector)) is not None:
            return node
    return None


def _marks(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''} {attrs.get('role') or ''}"


def _furniture(node: LexborNode, root: LexborNode) -> bool:
    current: LexborNode | None = node
    for _ in range(_MAX_DEPTH):
        if current is None or current == root:
            return False
        if current.tag in _FURNITURE_TAGS or _FURNITURE_MARKS.search(_marks(current)):
            return True
        current = current.parent
    return True  # nested too deep to tell: not a lede


def lede(root: LexborNode | None) -> str | None:
    """The first paragraph of the content that reads as prose, or None."""
    if root is None:
        return None
    for paragraph in root.css("p")[:_MAX_PARAGRAPHS]:
        if _furniture(paragraph, root):
            continue
        text = clean_text(paragraph.text(deep=True))
        if len(text) >= LEDE_MIN and " " in text and not is_boilerplate(text):
            return text
    return None
