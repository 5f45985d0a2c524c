"""Cutting a page before the HTML parser sees markup that would make it slow.

Lexbor, like the HTML tree-construction algorithm it implements, spends time proportional to
the depth of the open-element stack on many tags (scope checks, reconstructing formatting
elements, unmatched end tags). 2 MiB of `<div>` or `<font color=N>` nesting then costs seconds
to minutes of CPU. Browsers cap the depth; we cap the markup instead: the page is cut where the
number of tags or the (approximate) nesting depth first passes a limit. What a card needs, the
head's meta and link tags and the first `<h1>`, comes long before that on real pages.
"""

from __future__ import annotations

import re

__all__ = ["MAX_DEPTH", "MAX_TAGS", "bounded"]

#: Tags (start and end) parsed at most; real pages reach their first <h1> in a few hundred.
MAX_TAGS = 10_000
#: Open elements at most; real pages nest a few dozen deep (browsers cap at about 512).
MAX_DEPTH = 256

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,40})")
# Elements that never stay open (void), or that the next sibling closes (optional end tags):
# counting them as opened would make ordinary lists and tables look deep.
_FLAT = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
        "p",
        "li",
        "dt",
        "dd",
        "option",
        "optgroup",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
        "rt",
        "rp",
        "colgroup",
        "caption",
    ]
)


def bounded(html: str) -> str:
    """`html`, or its prefix up to the first tag past MAX_TAGS or MAX_DEPTH."""
    if html.count("<") <= MAX_DEPTH:
        return html  # too few tags to nest or repeat dangerously
    depth = 0
    for count, match in enumerate(_TAG.finditer(html)):
        closing, name = match.group(1), match.group(2).lower()
        if name in _FLAT:
            pass
        elif closing:
            depth = max(0, depth - 1)
        else:
            depth += 1
        if count >= MAX_TAGS or depth > MAX_DEPTH:
            return html[: match.start()]
    return html
