"""The render spec: the fields that decide what a card looks like, and its identity.

`RenderSpec` only checks JSON types; `normalize_fields` applies the limits and the
normalisation (NFC, control characters, colours) with messages naming the camelCase field.
`canonical_bytes` / `spec_digest` give the dedup identity: transient request fields
(webhookUrl, metadata, force…) are not struct fields, so decoding drops them and they can
never reach the hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Literal

import msgspec
import orjson

from .errors import SpecError

__all__ = [
    "FORMATS",
    "KINDS",
    "Dpr",
    "Format",
    "Kind",
    "RenderSpec",
    "canonical_bytes",
    "clean_text",
    "normalize_colour",
    "normalize_fields",
    "parse_spec",
    "spec_digest",
]

Kind = Literal["og", "twitter", "linkedin", "square"]
Format = Literal["png", "jpeg", "webp", "avif"]
Dpr = Literal[1, 2]

#: Canvas size per kind, as the platforms document them.
KINDS: dict[str, tuple[int, int]] = {
    "og": (1200, 630),
    "twitter": (1200, 600),
    "linkedin": (1200, 627),
    "square": (1080, 1080),
}
FORMATS: tuple[str, ...] = ("png", "jpeg", "webp", "avif")

# (min, max) characters after normalisation; title is the only required text.
TEXT_LIMITS: dict[str, tuple[int, int]] = {
    "title": (1, 200),
    "description": (0, 500),
    "tag": (0, 40),
    "author": (0, 80),
}
# A data: URI of a ~2 MB image; the server enforces byte caps on what it fetches.
MAX_ASSET_REF = 3_000_000
MAX_NAME = 64

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u2028\u2029]+")


class RenderSpec(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Render-affecting fields, named as in the JSON API (camelCase on the wire)."""

    title: str
    template: str = "blog"
    kind: Kind = "og"
    description: str = ""
    tag: str = ""
    author: str = ""
    avatar: str = ""
    logo: str = ""
    font: str = ""
    palette: str = ""
    background_color: str = ""
    text_color: str = ""
    accent_color: str = ""
    format: Format = "png"
    # Device pixel ratio: 2 draws the card at twice the kind's width and height.
    dpr: Dpr = 1


def clean_text(value: str) -> str:
    """NFC, control characters removed, runs of whitespace collapsed to one space.

    Controls are dropped (not replaced) because they have no glyph and would render as boxes;
    line breaks collapse too, since card layout, not the caller, decides where lines break.
    """
    value = unicodedata.normalize("NFC", value)
    value = _SPACES.sub(" ", value)
    kept = [c for c in value if unicodedata.category(c) not in ("Cc", "Cs", "Co", "Cn")]
    return "".join(kept).strip()


def normalize_colour(field: str, value: str) -> str:
    """`#rgb`, `#rrggbb`, `#rrggbbaa` -> lower-case `#rrggbb` (`#rrggbbaa` if not opaque)."""
    value = value.strip()
    if not _HEX.fullmatch(value):
        raise SpecError(field, f"{value!r} is not a colour; use #rgb, #rrggbb or #rrggbbaa")
    digits = value[1:].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if digits.endswith("ff") and len(digits) == 8:
        digits = digits[:6]
    return "#" + digits


def _name(field: str, value: str) -> str:
    value = value.strip().lower()
    if len(value) > MAX_NAME:
        raise SpecError(field, f"must be at most {MAX_NAME} characters")
    return value


def normalize_fields(spec: RenderSpec) -> RenderSpec:
    """Apply limits and normalisation; raises `SpecError` naming the offending field."""
    texts: dict[str, str] = {}
    for attr, (low, high) in TEXT_LIMITS.items():
        cleaned = clean_text(getattr(spec, attr))
        if len(cleaned) < low:
            raise SpecError(attr, "must not be empty")
        if len(cleaned) > high:
            raise SpecError(attr, f"must be at most {high} characters (got {len(cleaned)})")
        texts[attr] = cleaned
    for attr in ("avatar", "logo"):
        if len(getattr(spec, attr)) > MAX_ASSET_REF:
            raise SpecError(attr, f"must be at most {MAX_ASSET_REF} characters")
    colours = {
        attr: normalize_colour(wire, getattr(spec, attr)) if getattr(spec, attr).strip() else ""
        for attr, wire in (
            ("background_color", "backgroundColor"),
            ("text_color", "textColor"),
            ("accent_color", "accentColor"),
        )
    }
    return msgspec.structs.replace(
        spec,
        template=_name("template", spec.template) or "blog",
        palette=_name("palette", spec.palette),
        # Font families are case-sensitive display names in fontconfig; only trim them.
        font=unicodedata.normalize("NFC", spec.font.strip()),
        **texts,
        **colours,
    )


def _field_of(error: msgspec.ValidationError) -> str:
    match = re.search(r"at `\$\.([A-Za-z]+)", str(error))
    return match.group(1) if match else "body"


def parse_spec(data: bytes | str) -> RenderSpec:
    """Decode JSON into a normalised spec; unknown (transient) keys are ignored."""
    try:
        spec = msgspec.json.decode(data, type=RenderSpec)
    except msgspec.ValidationError as exc:
        message = str(exc).split(" - at ")[0]
        raise SpecError(_field_of(exc), message) from exc
    except msgspec.DecodeError as exc:
        raise SpecError("body", f"invalid JSON: {exc}") from exc
    return normalize_fields(spec)


def canonical_bytes(spec: RenderSpec) -> bytes:
    """Sorted-key orjson encoding of a spec whose defaults are already filled.

    `dpr` is left out at 1: it came after cards were stored, and a 1x card must keep its slug."""
    fields = msgspec.to_builtins(spec)
    if fields.get("dpr") == 1:
        del fields["dpr"]
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def spec_digest(spec: RenderSpec) -> str:
    """SHA-256 hex of `canonical_bytes`; the caller fills defaults first (see `renderer`)."""
    return hashlib.sha256(canonical_bytes(spec)).hexdigest()
