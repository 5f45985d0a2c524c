"""Page bytes -> text: which encoding a fetched HTML page is in, and its decoding.

Order, after the WHATWG "encoding sniffing algorithm": a byte-order mark, then the charset of
the HTTP `Content-Type`, then a `<meta charset>` / `<meta http-equiv="content-type">` found by a
prescan of the first 4 KiB, then UTF-8 (or windows-1252 when the undeclared bytes are not UTF-8).
The BOM comes before the header, as in every browser: a BOM is unambiguous, while servers send a
default `charset=iso-8859-1` for pages they know nothing about.

Labels go through the WHATWG label table (so `latin1`, `ascii` and `iso-8859-1` mean
windows-1252, and `shift_jis` means Microsoft's cp932), never straight to Python's codec registry:
that registry also holds `rot13`, `hex`, `unicode_escape` or `utf-7`, which no page may select.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["PRESCAN_BYTES", "decode_html", "resolve_label", "sniff_encoding"]

#: How far the meta prescan looks (WHATWG says 1024 bytes; pages with long inline
#: preambles put the meta later, and browsers look further too).
PRESCAN_BYTES = 4096

_DEFAULT = "utf-8"
_FALLBACK_LEGACY = "cp1252"

# WHATWG encoding -> the Python codec that decodes it (closest superset where they differ).
_ENCODINGS: dict[str, str] = {
    "utf-8": "utf-8",
    "ibm866": "cp866",
    "iso-8859-2": "iso8859-2",
    "iso-8859-3": "iso8859-3",
    "iso-8859-4": "iso8859-4",
    "iso-8859-5": "iso8859-5",
    "iso-8859-6": "iso8859-6",
    "iso-8859-7": "iso8859-7",
    "iso-8859-8": "iso8859-8",
    "iso-8859-10": "iso8859-10",
    "iso-8859-13": "iso8859-13",
    "iso-8859-14": "iso8859-14",
    "iso-8859-15": "iso8859-15",
    "iso-8859-16": "iso8859-16",
    "koi8-r": "koi8-r",
    "koi8-u": "koi8-u",
    "macintosh": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "windows-874": "cp874",
    "windows-1250": "cp1250",
    "windows-1251": "cp1251",
    "windows-1252": "cp1252",
    "windows-1253": "cp1253",
    "windows-1254": "cp1254",
    "windows-1255": "cp1255",
    "windows-1256": "cp1256",
    "windows-1257": "cp1257",
    "windows-1258": "cp1258",
    "gbk": "gb18030",  # the WHATWG gbk decoder is the gb18030 decoder
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "euc-jp": "euc_jp",
    "iso-2022-jp": "iso2022_jp",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
    "utf-16be": "utf-16-be",
    "utf-16le": "utf-16-le",
}

# Labels whose meaning differs from (or is missing in) Python's registry, one line per
# encoding: its WHATWG name, then the labels that mean it. Any other label is looked up in
# Python's registry and accepted only if it lands on a codec in _ENCODINGS.
_LABEL_TABLE = """
windows-1252 ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100
windows-1252 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii x-cp1252
windows-1252 x-user-defined
windows-1254 cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 l5 latin5
windows-874 dos-874 iso-8859-11 iso8859-11 iso885911 tis-620
shift_jis csshiftjis ms932 ms_kanji shift-jis sjis windows-31j x-sjis
euc-kr cseuckr csksc56011987 iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601
euc-kr ksc_5601 windows-949
gbk chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 iso-ir-58 x-gbk
big5 big5-hkscs cn-big5 csbig5 x-x-big5
euc-jp cseucpkdfmtjapanese x-euc-jp
iso-8859-8 iso-8859-8-i csiso88598i logical visual
x-mac-cyrillic x-mac-ukrainian
macintosh csmacintosh mac x-mac-roman
utf-8 unicode-1-1-utf-8 unicode11utf8 unicode20utf8 x-unicode20utf8
utf-16le csunicode iso-10646-ucs-2 ucs-2 unicode unicodefffe utf-16
"""
_LABELS: dict[str, str] = {
    label: words[0]
    for words in map(str.split, _LABEL_TABLE.strip().splitlines())
    for label in words[1:]
}
_CODECS = frozenset(_ENCODINGS.values())

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)

# One token at a time, in document order: comments, then <meta …>, then any other tag (quoted
# attribute values consumed whole, so `<div title="<meta charset=x>">` is not a meta), then
# `<!…>`, `</…>` and `<?…>`. Each alternative consumes a character one way only: linear time.
_TOKENS = re.compile(
    rb"""<!--.*?(?:-->|\Z)"""
    rb"""|<meta[\s/](?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*)>?"""
    rb"""|<[a-z](?:[^>"']|"[^"]*"|'[^']*')*>?"""
    rb"""|<[!/?][^>]*>?""",
    re.IGNORECASE | re.DOTALL,
)
_ATTR = re.compile(rb"""([^\s/>=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
# WHATWG "extracting a character encoding from a meta element".
_PRAGMA_CHARSET = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s;"']+))""", re.I)
_LABEL_TRIM = "\t\n\f\r "


def resolve_label(label: str) -> str | None:
    """The Python codec for an encoding label, or None for an unknown or unsafe label."""
    key = label.strip(_LABEL_TRIM).lower()
    if not key or len(key) > 64:
        return None
    name = _LABELS.get(key) or (key if key in _ENCODINGS else None)
    if name is not None:
        return _ENCODINGS[name]
    try:
        codec = codecs.lookup(key).name
    except (LookupError, ValueError):
        return None
    return codec if codec in _CODECS else None


def _bom(body: bytes) -> tuple[str, int] | None:
    for mark, codec in _BOMS:
        if body.startswith(mark):
            return codec, len(mark)
    return None


def _meta_attrs(raw: bytes) -> dict[bytes, bytes]:
    attrs: dict[bytes, bytes] = {}
    for match in _ATTR.finditer(raw):
        name = match.group(1).lower()
        value = match.group(2) or b""
        if value[:1] in (b'"', b"'"):
            value = value[1:-1]
        attrs.setdefault(name, value)  # the first occurrence of an attribute wins
    return attrs


def _prescan(head: bytes) -> str | None:
    for token in _TOKENS.finditer(head):
        raw = token.group("attrs")
        if raw is None:
            continue
        attrs = _meta_attrs(raw)
        label: bytes | None = attrs.get(b"charset")
        if label is None and attrs.get(b"http-equiv", b"").strip().lower() == b"content-type":
            pragma = _PRAGMA_CHARSET.search(attrs.get(b"content", b""))
            if pragma is not None:
                label = next(g for g in pragma.groups() if g is not None)
        if label is None:
            continue
        codec = resolve_label(label.decode("latin-1"))
        if codec is None:
            continue  # an unknown label does not end the prescan
        # A page cannot be UTF-16 and ASCII-compatible enough for us to read its meta.
        return "utf-8" if codec.startswith("utf-16") else codec
    return None


def sniff_encoding(body: bytes, http_charset: str | None = None) -> str:
    """The Python codec to decode `body` with (see the module docstring for the order)."""
    bom = _bom(body)
    if bom is not None:
        return bom[0]
    if http_charset:
        codec = resolve_label(http_charset)
        if codec is not None:
            return codec
    declared = _prescan(body[:PRESCAN_BYTES])
    if declared is not None:
        return declared
    # Undeclared: UTF-8 if the bytes are UTF-8. A tail cut mid-character by the fetch size cap
    # is still UTF-8, so the check is incremental (final=False). Old undeclared Latin pages are
    # the common other case, and windows-1252 is what browsers guess for them.
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(body, final=False)
    except UnicodeDecodeError:
        return _FALLBACK_LEGACY
    return _DEFAULT


def decode_html(body: bytes, http_charset: str | None = None) -> str:
    """Decode fetched HTML; invalid byte sequences become U+FFFD, never an exception."""
    codec = sniff_encoding(body, http_charset)
    bom = _bom(body)
    if bom is not None and bom[0] == codec:
        body = body[bom[1] :]
    text = body.decode(codec, errors="replace")
    # A BOM of the declared encoding (e.g. UTF-8 header plus UTF-8 BOM) is not content.
    return text[1:] if text.startswith("\ufeff") else text
