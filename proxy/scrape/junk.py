"""Text that is on a page but says nothing about it: placeholders, boilerplate and notices.

A card built from "Loading…" or "Please enable JavaScript" is worse than one with no
description, so such text is dropped wherever it comes from (meta tags, JSON-LD, the body).
The lists are short and literal on purpose: each entry is a phrase seen on real pages that
only ever means "this is not the content", so an article *about* JavaScript or cookies keeps
its description ("How to enable JavaScript in Chrome" matches nothing here).
"""

from __future__ import annotations

import re

__all__ = ["is_boilerplate", "is_placeholder"]

# Whole texts (compared case-folded, trailing dots and ellipses ignored) that stand in for
# content not rendered yet, an interstitial, or a framework's default.
_PLACEHOLDERS = frozenset({
    "loading", "loading page", "please wait", "just a moment", "one moment, please",
    "redirecting", "attention required! | cloudflare", "access denied", "403 forbidden",
    "checking your browser", "checking your browser before accessing", "untitled",
    "untitled document", "document", "react app", "vite app", "vite + react", "vite + react + ts",
    "javascript is required", "javascript is not available", "please enable javascript",
    "you need to enable javascript to run this app", "null", "undefined",
    "web site created using create-react-app",
})  # fmt: skip
# Phrases that mark a notice wherever they appear in a description or paragraph.
_NOTICES = re.compile(
    r"please enable javascript|enable javascript to|you need to enable javascript"
    r"|javascript is (?:required|disabled|not available|turned off)|requires javascript to"
    r"|without javascript enabled|doesn't work properly without javascript"
    r"|please enable cookies|enable cookies to|cookies are disabled|we use cookies"
    r"|(?:this|our) (?:web)?site uses cookies|uses cookies to|use of cookies|accept all cookies"
    r"|checking if the site connection is secure|review the security of your connection"
    r"|verify you are (?:a )?human|your browser is (?:not supported|out of date)"
    r"|web site created using create-react-app",
    re.IGNORECASE,
)


def is_placeholder(text: str) -> bool:
    """Whether the whole of `text` is a stand-in ("Loading…", "Just a moment...")."""
    return text.casefold().rstrip(".\u2026 ").strip() in _PLACEHOLDERS


def is_boilerplate(text: str) -> bool:
    """Whether `text` is a placeholder or contains a JavaScript, cookie or bot-check notice."""
    return is_placeholder(text) or _NOTICES.search(text) is not None
