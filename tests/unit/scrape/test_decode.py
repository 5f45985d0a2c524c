"""Charset handling: BOM, HTTP header, meta prescan, defaults, and unsafe labels."""

from __future__ import annotations

import codecs

import pytest

from proxy.scrape import decode_html, sniff_encoding
from proxy.scrape.decode import PRESCAN_BYTES, resolve_label

JA = "日本語のページ"
CAFE = "Café — déjà vu"


def page(title: str, head: str = "") -> str:
    return f"<!doctype html><html><head>{head}<title>{title}</title></head><body></body></html>"


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf-8", "utf-8"),
        ("UTF8", "utf-8"),
        (" latin1 ", "cp1252"),
        ("ISO-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("x-sjis", "cp932"),
        ("Shift_JIS", "cp932"),
        ("windows-31j", "cp932"),
        ("euc-kr", "cp949"),
        ("gb2312", "gb18030"),
        ("big5", "big5hkscs"),
        ("koi8-r", "koi8-r"),
        ("windows-1251", "cp1251"),
        ("iso-8859-9", "cp1254"),
        ("tis-620", "cp874"),
        ("latin2", "iso8859-2"),  # through Python's registry, then checked
        ("x-mac-cyrillic", "mac-cyrillic"),
    ],
)
def test_labels_follow_whatwg(label: str, codec: str) -> None:
    assert resolve_label(label) == codec


@pytest.mark.parametrize(
    "label", ["", "bogus", "utf-7", "rot13", "hex", "unicode_escape", "base64", "x" * 500]
)
def test_unknown_and_unsafe_labels_are_refused(label: str) -> None:
    assert resolve_label(label) is None


def test_meta_charset_shift_jis() -> None:
    body = page(JA, '<meta charset="shift_jis">').encode("shift_jis")
    assert sniff_encoding(body) == "cp932"
    assert JA in decode_html(body)


def test_meta_http_equiv_content_type() -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    body = page("Привет", head).encode("cp1251")
    assert "Привет" in decode_html(body)


def test_meta_http_equiv_quoted_charset() -> None:
    head = "<meta http-equiv=content-type content='text/html; charset=\"euc-jp\"'>"
    assert sniff_encoding(page(JA, head).encode("euc_jp")) == "euc_jp"


def test_header_charset_windows_1252() -> None:
    body = page(CAFE).encode("cp1252")
    assert decode_html(body, "windows-1252").count(CAFE) == 1


def test_header_wins_over_meta() -> None:
    # Mismatched declarations: the transport layer outranks the document.
    body = page(CAFE, '<meta charset="shift_jis">').encode("cp1252")
    assert sniff_encoding(body, "iso-8859-1") == "cp1252"
    assert CAFE in decode_html(body, "iso-8859-1")


def test_unknown_header_label_falls_through_to_meta() -> None:
    body = page(JA, '<meta charset="shift_jis">').encode("shift_jis")
    assert sniff_encoding(body, "no-such-charset") == "cp932"


def test_utf8_bom_wins_over_header_and_is_stripped() -> None:
    body = codecs.BOM_UTF8 + page(CAFE).encode("utf-8")
    text = decode_html(body, "iso-8859-1")
    assert CAFE in text
    assert text.startswith("<!doctype")


def test_utf16_bom() -> None:
    body = codecs.BOM_UTF16_LE + page(JA).encode("utf-16-le")
    assert JA in decode_html(body)


def test_meta_utf16_means_utf8() -> None:
    body = page(CAFE, '<meta charset="utf-16">').encode("utf-8")
    assert sniff_encoding(body) == "utf-8"


def test_meta_in_comment_is_ignored() -> None:
    head = '<!-- <meta charset="shift_jis"> --><meta charset="koi8-r">'
    assert sniff_encoding(page("x", head).encode()) == "koi8-r"


def test_meta_inside_attribute_value_is_ignored() -> None:
    head = '<link title="<meta charset=shift_jis>"><meta charset="koi8-r">'
    assert sniff_encoding(page("x", head).encode()) == "koi8-r"


def test_unknown_meta_label_keeps_scanning() -> None:
    head = '<meta charset="klingon"><meta charset="windows-1251">'
    assert sniff_encoding(page("x", head).encode()) == "cp1251"


def test_meta_past_prescan_window_is_not_seen() -> None:
    filler = "<!--" + "x" * PRESCAN_BYTES + "-->"
    body = (filler + '<meta charset="koi8-r">' + page("plain")).encode()
    assert sniff_encoding(body) == "utf-8"


def test_default_is_utf8() -> None:
    assert sniff_encoding(page(CAFE).encode("utf-8")) == "utf-8"


def test_undeclared_non_utf8_bytes_are_windows_1252() -> None:
    assert CAFE in decode_html(page(CAFE).encode("cp1252"))


def test_utf8_cut_mid_character_is_still_utf8() -> None:
    # The fetch size cap can end the body inside a multi-byte character.
    body = page(JA).encode("utf-8") + "語".encode()[:2]
    assert sniff_encoding(body) == "utf-8"
    assert JA in decode_html(body)


def test_declared_utf8_with_invalid_bytes_replaces_them() -> None:
    body = page("a\xff\xfeb", '<meta charset="utf-8">').encode("latin-1")
    assert "a\ufffd\ufffdb" in decode_html(body)


def test_wrong_declaration_never_raises() -> None:
    body = page(CAFE, '<meta charset="iso-2022-jp">').encode("utf-8") + b"\x1b$B\xff\xff"
    assert isinstance(decode_html(body), str)


def test_unclosed_meta_tag() -> None:
    assert sniff_encoding(b'<html><head><meta charset="koi8-r"') == "koi8-r"
