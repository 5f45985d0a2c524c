"""The result of a page check, as the CLI prints it and GET /api/v2/check answers it (these
structs are that endpoint's OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "Finding",
    "ImageReport",
    "Level",
    "PlatformReport",
    "Preview",
    "Report",
    "RobotsReport",
    "worst",
]

Level = Literal["ok", "warn", "fail"]
_RANK: dict[str, int] = {"ok": 0, "warn": 1, "fail": 2}


def worst(levels: list[Level]) -> Level:
    return max(levels, key=_RANK.__getitem__, default="ok")


class Finding(msgspec.Struct, frozen=True):
    level: Level
    #: Stable machine name of the kind of finding (image_too_small, robots_disallowed, …).
    code: str
    message: str


class Preview(msgspec.Struct, frozen=True, kw_only=True):
    """What the platform will show, as far as the page decides it."""

    title: str | None = None
    description: str | None = None
    image: str | None = None
    #: The card type (X, and the platforms that read twitter:card); null where none applies.
    card: str | None = None


class PlatformReport(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    name: str
    status: Level
    shows: Preview
    findings: list[Finding]


class ImageReport(msgspec.Struct, frozen=True, kw_only=True):
    """One image URL the page names, fetched once whatever the number of platforms using it."""

    url: str
    #: HTTP status; null when no answer came (the reason is in `error`).
    status: int | None = None
    content_type: str | None = None
    #: Bytes received; with `over_limit` the body was cut at that many and is larger.
    bytes: int | None = None
    over_limit: bool = False
    format: str | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None


class RobotsReport(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    #: found: rules read; missing: 4xx, everything allowed; unreachable: 5xx or no answer, which
    #: RFC 9309 crawlers read as "everything disallowed"; unread: answered but not parsed.
    state: Literal["found", "missing", "unreachable", "unread"]
    status: int | None = None
    error: str | None = None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    final_url: str
    #: The worst status over every platform.
    status: Level
    robots: RobotsReport
    images: list[ImageReport]
    platforms: list[PlatformReport]
