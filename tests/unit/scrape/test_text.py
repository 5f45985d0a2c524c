"""Whitespace, control characters and truncation at a word boundary."""

from __future__ import annotations

from proxy.scrape.text import ELLIPSIS, clean_text, truncate


def test_clean_collapses_whitespace_and_trims() -> None:
    assert clean_text("  a\t\n b \u00a0\u2003 c  ") == "a b c"


def test_clean_drops_controls_and_bidi_overrides_keeps_zwj() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean_text(f"a\x00b\u202ec\u00ad{family}") == f"abc{family}"


def test_clean_normalises_to_nfc() -> None:
    assert clean_text("Cafe\u0301") == "Café"


def test_clean_empty() -> None:
    assert clean_text(None) == ""
    assert clean_text(" \n ") == ""


def test_truncate_short_text_unchanged() -> None:
    assert truncate("short title", 200) == "short title"
    assert truncate("x" * 200, 200) == "x" * 200


def test_truncate_at_word_boundary() -> None:
    text = "word " * 100
    cut = truncate(text.strip(), 200)
    assert len(cut) <= 200
    assert cut.endswith("word" + ELLIPSIS)
    assert cut.startswith("word word")


def test_truncate_drops_trailing_punctuation() -> None:
    text = ("abcdefghi, " * 40).strip()
    assert truncate(text, 200).endswith("abcdefghi" + ELLIPSIS)


def test_truncate_without_spaces_cuts_hard() -> None:
    text = "語" * 300
    assert truncate(text, 200) == "語" * 199 + ELLIPSIS


def test_truncate_one_long_word_after_short_one_cuts_hard() -> None:
    text = "a " + "b" * 400
    cut = truncate(text, 200)
    assert len(cut) == 200
    assert cut.startswith("a bbb")


def test_truncate_keeps_combining_marks_with_their_base() -> None:
    # 199 characters fit; the 199th is "e" followed by a combining acute accent.
    text = "x" * 198 + "e\u0301" + "y" * 10
    cut = truncate(text, 200)
    assert "e" not in cut
    assert "\u0301" not in cut
    assert len(cut) <= 200
