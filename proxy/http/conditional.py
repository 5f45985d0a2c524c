"""Conditional GET/HEAD evaluation (RFC 9110 §13.1.2 If-None-Match, §13.1.3 If-Modified-Since)."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

__all__ = ["is_not_modified", "none_match"]


def none_match(header: str, etag: str) -> bool:
    """True when If-None-Match names `etag` (a quoted strong tag) or is "*".

    §13.1.2 uses the weak comparison: W/"x" matches "x". Entity-tags may contain commas
    (etagc allows %x2C), so the list is split on commas outside quotes only.
    """
    if header == etag:  # the common case: a browser echoing our ETag back
        return True
    value = header.strip()
    if value == "*":
        return True
    opaque = etag[2:] if etag.startswith("W/") else etag
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            break
        start = i
        if value.startswith("W/", i):
            i += 2
        if i < n and value[i] == '"':
            end = value.find('"', i + 1)
            if end < 0:
                return False  # unterminated tag: the field is invalid, ignore it
            tag = value[i : end + 1]
            if tag == opaque:
                return True
            i = end + 1
        else:
            # Not an entity-tag (a client bug); skip to the next list member.
            end = value.find(",", start)
            i = n if end < 0 else end
    return False


def is_not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, modified: float
) -> bool:
    """The 304 decision for a GET/HEAD of an existing representation.

    If-Modified-Since is only evaluated when If-None-Match is absent (§13.1.3), and an
    unparseable date is ignored rather than treated as a match.
    """
    if if_none_match is not None:
        return none_match(if_none_match, etag)
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    return int(modified) <= since
