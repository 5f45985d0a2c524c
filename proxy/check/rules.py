"""The platform rules (platforms.toml) as typed, validated structs, read once per process.

A mistake in the data file (a misspelt key, a format the renderer cannot tell apart, an
`observed` entry naming nothing) fails the first load with every problem listed, so a bad edit
cannot ship: the unit tests load it.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Annotated, Literal

import msgspec

__all__ = [
    "ANY_CARD",
    "FIELDS",
    "FORMATS",
    "ImageRule",
    "Platform",
    "RulesError",
    "load_platforms",
    "parse_platforms",
    "rules_text",
]

#: What `required` may name.
FIELDS = ("title", "description", "image")
#: Formats the renderer's sniffer names (renderer.images.ALLOWED_FORMATS); others are "unsupported".
FORMATS = ("jpeg", "png", "gif", "webp", "avif")
#: The card key of image rules that apply whatever the card type.
ANY_CARD = "any"

Pixels = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Robots = Literal["obeys", "ignores", "unknown"]


class RulesError(Exception):
    """platforms.toml is malformed; the message lists every problem."""


class ImageRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    min_width: Pixels | None = None
    min_height: Pixels | None = None
    max_width: Pixels | None = None
    max_height: Pixels | None = None
    max_bytes: Annotated[int, msgspec.Meta(ge=1)] | None = None
    # Empty: the platform names none, so no format is refused.
    formats: tuple[str, ...] = ()
    recommended_width: Pixels | None = None
    recommended_height: Pixels | None = None
    aspect: Annotated[float, msgspec.Meta(gt=0, le=100)] | None = None
    aspect_tolerance: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.1


class Platform(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    robots_tokens: tuple[Tag, ...]
    robots: Robots
    title_tags: tuple[Tag, ...]
    description_tags: tuple[Tag, ...]
    image_tags: tuple[Tag, ...]
    card_tags: tuple[Tag, ...] = ()
    default_card: str | None = None
    large_image_card: str | None = None
    required: tuple[str, ...] = ()
    expected: tuple[Tag, ...] = ()
    title_max: Annotated[int, msgspec.Meta(ge=1)] | None = None
    description_max: Annotated[int, msgspec.Meta(ge=1)] | None = None
    observed: frozenset[str] = frozenset()
    image: dict[str, ImageRule] = {}
    # Filled by the loader from the table's key (msgspec leaves it at its default).
    id: str = ""

    def image_rule(self, card: str | None) -> tuple[str, ImageRule] | None:
        """(key, rules) for images shown on `card`, else the ones for any card, else None."""
        for key in (card, ANY_CARD):
            if key is not None and key in self.image:
                return key, self.image[key]
        return None

    def is_observed(self, key: str) -> bool:
        return key in self.observed


def _problems(pid: str, platform: Platform) -> list[str]:
    """What msgspec's types cannot say: cross-field and vocabulary rules."""
    out: list[str] = []
    for field in platform.required:
        if field not in FIELDS:
            out.append(f"{pid}.required: unknown field {field!r} (one of {', '.join(FIELDS)})")
    if not platform.robots_tokens:
        out.append(f"{pid}.robots_tokens: at least one token")
    for card, rule in platform.image.items():
        for fmt in rule.formats:
            if fmt not in FORMATS:
                out.append(
                    f"{pid}.image.{card}.formats: {fmt!r} is not one of {', '.join(FORMATS)}"
                )
        for low, high in (("min_width", "max_width"), ("min_height", "max_height")):
            lo, hi = getattr(rule, low), getattr(rule, high)
            if lo is not None and hi is not None and lo > hi:
                out.append(f"{pid}.image.{card}: {low} {lo} is over {high} {hi}")
    for key in sorted(platform.observed):
        if not _has_key(platform, key):
            out.append(f"{pid}.observed: {key!r} names no key of the table")
    return out


def _has_key(platform: Platform, dotted: str) -> bool:
    head, _, rest = dotted.partition(".")
    if head != "image":
        return head in msgspec.structs.asdict(platform) and not rest
    card, _, key = rest.partition(".")
    return card in platform.image and key in msgspec.structs.asdict(platform.image[card])


def parse_platforms(text: str) -> tuple[Platform, ...]:
    """The platforms of a TOML document, in file order; RulesError lists every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"platforms.toml is not TOML: {exc}") from exc
    platforms: dict[str, Platform] = {}
    problems: list[str] = []
    for pid, table in raw.items():
        try:
            platform = msgspec.convert(table, Platform)
        except msgspec.ValidationError as exc:
            problems.append(f"{pid}: {exc}")
            continue
        platform = msgspec.structs.replace(platform, id=pid)
        problems.extend(_problems(pid, platform))
        platforms[pid] = platform
    if not platforms and not problems:
        problems.append("no platform defined")
    if problems:
        raise RulesError("invalid platforms.toml:\n  " + "\n  ".join(problems))
    return tuple(platforms.values())


def rules_text() -> str:
    return resources.files("proxy.check").joinpath("platforms.toml").read_text(encoding="utf-8")


@functools.cache
def load_platforms() -> tuple[Platform, ...]:
    """The packaged rules, parsed and validated on first use (then shared: they are frozen)."""
    return parse_platforms(rules_text())
