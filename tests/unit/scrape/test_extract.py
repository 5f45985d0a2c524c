"""extract(): each fallback step, URLs, text clean-up, direction, theme colour."""

from __future__ import annotations

import msgspec
import pytest

from proxy.scrape import PageMeta, decode_html, extract

PAGE = "https://www.example.com/blog/post"


def doc(head: str = "", body: str = "") -> str:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"


def test_pagemeta_is_frozen() -> None:
    meta = extract(doc(), PAGE)
    with pytest.raises(AttributeError):
        meta.title = "x"  # type: ignore[misc]
    assert isinstance(meta, msgspec.Struct)


# --- title ---------------------------------------------------------------------------------

FULL_TITLE = (
    '<meta property="og:title" content="OG">'
    '<meta name="twitter:title" content="TW">'
    "<title>Element</title>"
)


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        (FULL_TITLE, "<h1>H</h1>", "OG"),
        (FULL_TITLE.replace("og:title", "og:other"), "<h1>H</h1>", "TW"),
        ("<title>Element</title>", "<h1>H</h1>", "Element"),
        ("", "<h1>Heading <em>one</em></h1><h1>Two</h1>", "Heading one"),
        ("", "<p>nothing</p>", None),
        ('<meta property="og:title" content="   "><title>T</title>', "", "T"),
        ('<meta name="og:title" content="By name">', "", "By name"),
        (
            '<meta property="og:title" content="First"><meta property="og:title" content="Second">',
            "",
            "First",
        ),
    ],
)
def test_title_chain(head: str, body: str, expected: str | None) -> None:
    assert extract(doc(head, body), PAGE).title == expected


def test_svg_title_is_not_the_page_title() -> None:
    html = doc(body="<svg><title>icon</title></svg><h1>Real</h1>")
    assert extract(html, PAGE).title == "Real"


def test_h1_ignores_scripts_and_line_breaks() -> None:
    html = doc(body="<h1>Big<br>News<script>var x='no';</script><style>h1{}</style></h1>")
    assert extract(html, PAGE).title == "Big News"


def test_scripts_and_styles_never_leak() -> None:
    html = doc(
        "<script>document.title='<title>Fake</title>'</script><style>title{}</style>",
        "<script><meta property='og:title' content='Fake'></script><h1>Real</h1>",
    )
    assert extract(html, PAGE).title == "Real"


# --- description ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="og:description" content="OG"><meta name="twitter:description" content="TW"><meta name="description" content="M">',
            "OG",
        ),
        (
            '<meta name="twitter:description" content="TW"><meta name="description" content="M">',
            "TW",
        ),
        ('<meta name="Description" content="M">', "M"),
        ("", None),
    ],
)
def test_description_chain(head: str, expected: str | None) -> None:
    assert extract(doc(head), PAGE).description == expected


# --- image ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="og:image" content="/og.png"><meta name="twitter:image" content="/tw.png">',
            "https://www.example.com/og.png",
        ),
        (
            '<meta property="og:image:secure_url" content="https://s.example/a.png">',
            "https://s.example/a.png",
        ),
        (
            '<meta property="og:image:url" content="//cdn.example/u.png">',
            "https://cdn.example/u.png",
        ),
        ('<meta name="twitter:image" content="tw.png">', "https://www.example.com/blog/tw.png"),
        (
            '<meta name="twitter:image:src" content="https://t.example/s.png">',
            "https://t.example/s.png",
        ),
        (
            '<meta property="og:image" content="javascript:alert(1)"><meta name="twitter:image" content="/tw.png">',
            "https://www.example.com/tw.png",
        ),
        ('<meta property="og:image" content="data:image/png;base64,AAAA">', None),
        ('<link rel="image_src" href="/legacy.jpg">', "https://www.example.com/legacy.jpg"),
        ("", None),
    ],
)
def test_image_chain(head: str, expected: str | None) -> None:
    assert extract(doc(head), PAGE).image == expected


def test_base_href_resolves_relative_urls() -> None:
    head = (
        '<base href="https://static.example.org/v2/"><meta property="og:image" content="card.png">'
    )
    assert extract(doc(head), PAGE).image == "https://static.example.org/v2/card.png"


def test_relative_base_href_and_javascript_base() -> None:
    head = '<base href="/assets/"><meta property="og:image" content="c.png">'
    assert extract(doc(head), PAGE).image == "https://www.example.com/assets/c.png"
    head = '<base href="javascript:void(0)"><meta property="og:image" content="c.png">'
    assert extract(doc(head), PAGE).image == "https://www.example.com/blog/c.png"


# --- site name, favicon, canonical ---------------------------------------------------------


def test_site_name_chain() -> None:
    both = '<meta property="og:site_name" content="OG Site"><meta name="application-name" content="App">'
    assert extract(doc(both), PAGE).site_name == "OG Site"
    assert extract(doc('<meta name="application-name" content="App">'), PAGE).site_name == "App"
    assert extract(doc(), PAGE).site_name == "example.com"


def test_favicon_is_first_candidate() -> None:
    head = '<link rel="icon" href="/a.svg"><link rel="icon" href="/b.png">'
    meta = extract(doc(head), PAGE)
    assert meta.favicon == "https://www.example.com/b.png"
    assert meta.favicons[-1] == "https://www.example.com/a.svg"
    assert extract(doc(), PAGE).favicon == "https://www.example.com/favicon.ico"


def test_canonical_url() -> None:
    head = '<link rel="canonical" href="/blog/post-slug"><meta property="og:url" content="https://x.example/">'
    assert extract(doc(head), PAGE).canonical_url == "https://www.example.com/blog/post-slug"
    head = '<meta property="og:url" content="https://x.example/p">'
    assert extract(doc(head), PAGE).canonical_url == "https://x.example/p"
    assert extract(doc(), PAGE).canonical_url is None


# --- text ----------------------------------------------------------------------------------


def test_entities_decoded_once() -> None:
    head = '<meta property="og:title" content="Tom &amp; Jerry &lt;3 &#x263A; &eacute;t&eacute;">'
    assert extract(doc(head), PAGE).title == "Tom & Jerry <3 \u263a été"
    assert extract(doc("<title>A &amp;amp; B</title>"), PAGE).title == "A &amp; B"


def test_whitespace_collapsed() -> None:
    html = doc("<title>\n   Lots\t\tof \n\n space   </title>")
    assert extract(html, PAGE).title == "Lots of space"


def test_title_and_description_trimmed_to_renderer_limits() -> None:
    head = (
        f'<meta property="og:title" content="{"word " * 100}">'
        f'<meta property="og:description" content="{"more " * 200}">'
    )
    meta = extract(doc(head), PAGE)
    assert meta.title is not None
    assert meta.description is not None
    assert len(meta.title) <= 200
    assert len(meta.description) <= 500
    assert meta.title.endswith("word\u2026")
    assert meta.description.endswith("more\u2026")


# --- language and direction ----------------------------------------------------------------


def test_arabic_rtl_page() -> None:
    html = '<html lang="ar" dir="rtl"><head><title>مرحبا بالعالم</title></head></html>'
    meta = extract(html, PAGE)
    assert meta.title == "مرحبا بالعالم"
    assert meta.lang == "ar"
    assert meta.dir == "rtl"


@pytest.mark.parametrize(
    ("html", "lang", "direction"),
    [
        ('<html lang="he-IL"><title>x</title></html>', "he-IL", "rtl"),
        ('<html lang="en" dir="rtl"><title>x</title></html>', "en", "rtl"),
        ('<html lang="fa" dir="ltr"><title>x</title></html>', "fa", "ltr"),
        ('<html><body dir="RTL"><h1>x</h1></body></html>', None, "rtl"),
        ("<title>שלום world</title>", None, "rtl"),
        ("<title>123 hello שלום</title>", None, "ltr"),
        ('<meta property="og:locale" content="ar_EG"><title>x</title>', "ar-EG", "rtl"),
        ('<html lang="not a tag!"><title>x</title></html>', None, "ltr"),
    ],
)
def test_direction(html: str, lang: str | None, direction: str) -> None:
    meta = extract(html, PAGE)
    assert (meta.lang, meta.dir) == (lang, direction)


# --- theme colour --------------------------------------------------------------------------


def test_theme_colour_forms() -> None:
    assert extract(doc('<meta name="theme-color" content="#FFF">'), PAGE).theme_color == "#ffffff"
    assert extract(doc('<meta name="theme-color" content="navy">'), PAGE).theme_color == "#000080"
    assert extract(doc('<meta name="theme-color" content="var(--x)">'), PAGE).theme_color is None


def test_theme_colour_prefers_light_scheme() -> None:
    head = (
        '<meta name="theme-color" media="(prefers-color-scheme: dark)" content="#000000">'
        '<meta name="theme-color" media="(prefers-color-scheme: light)" content="#ffffff">'
    )
    assert extract(doc(head), PAGE).theme_color == "#ffffff"


# --- broken markup -------------------------------------------------------------------------


def test_missing_head_and_html() -> None:
    html = '<meta property="og:title" content="No head"><link rel=icon href=i.png><p>text'
    meta = extract(html, PAGE)
    assert meta.title == "No head"
    assert meta.favicon == "https://www.example.com/blog/i.png"


def test_unclosed_tags_and_stray_quotes() -> None:
    html = (
        "<html><head><title>T</title><meta property=og:description content=D<body><div><p>\"'<h1>x"
    )
    meta = extract(html, PAGE)
    assert meta.title == "T"
    # An unquoted value ends at whitespace or ">", so "<body" is part of it, as in browsers.
    assert meta.description == "D<body"


def test_unclosed_title_runs_to_end_as_in_browsers() -> None:
    html = "<html><head><title>Broken <b>title</head><body><h1>Later"
    assert extract(html, PAGE).title == "Broken <b>title</head><body><h1>Later"


def test_meta_in_body_counts() -> None:
    html = doc(body='<meta property="og:description" content="late">')
    assert extract(html, PAGE).description == "late"


def test_empty_input() -> None:
    assert extract("", PAGE) == PageMeta(
        site_name="example.com",
        favicon="https://www.example.com/favicon.ico",
        favicons=("https://www.example.com/favicon.ico",),
    )


def test_decode_then_extract_shift_jis() -> None:
    html = '<html><head><meta charset="Shift_JIS"><title>日本語のタイトル</title></head></html>'
    meta = extract(decode_html(html.encode("shift_jis")), "https://example.jp/")
    assert meta.title == "日本語のタイトル"
