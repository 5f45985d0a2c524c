"""Favicon candidates: raster first, larger first, /favicon.ico fallback, SVG last."""

from __future__ import annotations

from proxy.scrape import favicon_candidates
from proxy.scrape.favicon import IconLink, icon_rels, rank_icons

PAGE = "https://example.com/docs/page.html"


def links(*tags: str) -> str:
    return "<html><head>" + "".join(tags) + "</head><body></body></html>"


def test_no_icons_gives_origin_favicon() -> None:
    assert favicon_candidates("<p>hi</p>", PAGE) == ("https://example.com/favicon.ico",)


def test_rel_forms() -> None:
    assert icon_rels("icon")
    assert icon_rels("Shortcut Icon")
    assert icon_rels("apple-touch-icon")
    assert icon_rels("apple-touch-icon-precomposed")
    assert not icon_rels("mask-icon")
    assert not icon_rels("stylesheet")


def test_larger_raster_first_svg_last() -> None:
    html = links(
        '<link rel="icon" type="image/svg+xml" href="/icon.svg">',
        '<link rel="icon" type="image/png" sizes="16x16" href="/16.png">',
        '<link rel="icon" type="image/png" sizes="192x192" href="/192.png">',
        '<link rel="shortcut icon" href="/favicon.ico">',
        '<link rel="apple-touch-icon" href="/apple.png">',
    )
    assert favicon_candidates(html, PAGE) == (
        "https://example.com/192.png",
        "https://example.com/apple.png",  # 180 px by Apple's default
        "https://example.com/16.png",
        "https://example.com/favicon.ico",  # declared ICO and origin fallback, once
        "https://example.com/icon.svg",
    )


def test_svg_by_extension_and_unknown_type_ranked() -> None:
    html = links(
        '<link rel="icon" href="/logo.svg?v=2">',
        '<link rel="icon" href="/icon-endpoint">',
        '<link rel="icon" href="/small.png" sizes="32x32">',
    )
    assert favicon_candidates(html, PAGE) == (
        "https://example.com/small.png",
        "https://example.com/icon-endpoint",
        "https://example.com/favicon.ico",
        "https://example.com/logo.svg?v=2",
    )


def test_sizes_lists_and_any() -> None:
    html = links(
        '<link rel="icon" href="/multi.png" sizes="16x16 48x48">',
        '<link rel="icon" href="/big.png" sizes="any">',
        '<link rel="icon" href="/mid.png" sizes="32X32">',
    )
    assert favicon_candidates(html, PAGE)[:3] == (
        "https://example.com/big.png",
        "https://example.com/multi.png",
        "https://example.com/mid.png",
    )


def test_relative_to_page_and_base() -> None:
    html = links('<link rel="icon" href="i.png">')
    assert favicon_candidates(html, PAGE)[0] == "https://example.com/docs/i.png"
    based = '<base href="https://cdn.example.net/assets/">' + html
    assert favicon_candidates(based, PAGE)[0] == "https://cdn.example.net/assets/i.png"
    # The origin fallback belongs to the page, not to <base>.
    assert favicon_candidates(based, PAGE)[-1] == "https://example.com/favicon.ico"


def test_dangerous_and_data_icons() -> None:
    small_png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    html = links(
        '<link rel="icon" href="javascript:alert(1)">',
        '<link rel="icon" href="data:image/svg+xml;base64,PHN2Zz4=">',
        f'<link rel="icon" href="{small_png}" sizes="64x64">',
        '<link rel="icon" href="data:image/png;base64,' + "A" * 40_000 + '">',
    )
    assert favicon_candidates(html, PAGE) == (small_png, "https://example.com/favicon.ico")


def test_duplicates_collapse_and_document_order_breaks_ties() -> None:
    html = links(
        '<link rel="icon" href="/a.png">',
        '<link rel="icon" href="/b.png">',
        '<link rel="icon" href="/a.png">',
    )
    assert favicon_candidates(html, PAGE) == (
        "https://example.com/a.png",
        "https://example.com/b.png",
        "https://example.com/favicon.ico",
    )


def test_rank_icons_directly() -> None:
    ranked = rank_icons(
        [IconLink("/x.ico", "icon"), IconLink("/y.png", "icon", "64x64", "image/png")],
        "https://a.example/",
        "https://a.example/",
    )
    assert ranked == (
        "https://a.example/y.png",
        "https://a.example/x.ico",
        "https://a.example/favicon.ico",
    )


# --- evidence over assumption --------------------------------------------------------------


def test_sizes_with_multiplication_sign() -> None:
    html = links(
        '<link rel="icon" sizes="32x32" href="/k32.png">',
        '<link rel="icon" sizes="144\u00d7144" href="/k144.png">',
        '<link rel="apple-touch-icon" sizes="120\u00d7120" href="/touch.png">',
    )
    # The touch icon is read as 120 (not Apple's assumed 180), the other as 144.
    assert favicon_candidates(html, PAGE)[:3] == (
        "https://example.com/k144.png",
        "https://example.com/touch.png",
        "https://example.com/k32.png",
    )


def test_size_in_file_name_when_sizes_is_absent() -> None:
    html = links(
        '<link rel="icon" href="/favicon-16x16.png">',
        '<link rel="icon" href="/favicon-96x96.png">',
        '<link rel="apple-touch-icon" href="/apple-touch-icon-57x57.png">',
        '<link rel="icon" href="/icon-192.png">',
        '<link rel="icon" href="/favicon_2_32x32.png">',
    )
    assert favicon_candidates(html, PAGE)[:5] == (
        "https://example.com/icon-192.png",
        "https://example.com/favicon-96x96.png",
        "https://example.com/apple-touch-icon-57x57.png",  # its name beats Apple's default
        "https://example.com/favicon_2_32x32.png",
        "https://example.com/favicon-16x16.png",
    )


def test_numbers_in_names_that_are_not_sizes() -> None:
    html = links(
        '<link rel="icon" href="/favicon.8f3a21.png">',  # a hash: 32 assumed
        '<link rel="icon" href="/icon-20240101.png">',  # a date: 32 assumed
        '<link rel="icon" href="/logo-24.png">',
    )
    assert favicon_candidates(html, PAGE)[:3] == (
        "https://example.com/favicon.8f3a21.png",
        "https://example.com/icon-20240101.png",
        "https://example.com/logo-24.png",
    )


def test_sizes_attribute_beats_the_file_name() -> None:
    html = links(
        '<link rel="icon" sizes="16x16" href="/icon-512.png">',
        '<link rel="icon" href="/icon-64.png">',
    )
    assert favicon_candidates(html, PAGE)[0] == "https://example.com/icon-64.png"


def test_extensionless_apple_touch_icon_is_a_png() -> None:
    html = links(
        '<link rel="icon" type="image/png" href="/icon-32.png">',
        '<link rel="apple-touch-icon" href="/apple-touch-icon">',
        '<link rel="icon" href="/icon-endpoint">',
    )
    assert favicon_candidates(html, PAGE) == (
        "https://example.com/apple-touch-icon",  # raster by Apple's rule, 180 px
        "https://example.com/icon-32.png",
        "https://example.com/icon-endpoint",  # a plain icon of unknown type stays unknown
        "https://example.com/favicon.ico",
    )


def test_mask_icon_comes_last_after_svg() -> None:
    html = links(
        '<link rel="mask-icon" href="/safari-pinned-tab.svg" color="#5bbad5">',
        '<link rel="icon" type="image/svg+xml" href="/favicon.svg">',
    )
    assert favicon_candidates(html, PAGE) == (
        "https://example.com/favicon.ico",
        "https://example.com/favicon.svg",
        "https://example.com/safari-pinned-tab.svg",
    )


def test_apple_touch_icon_type_attribute_is_not_believed_over_apple_s_rule() -> None:
    html = links(
        '<link rel="apple-touch-icon" type="image/x-icon" href="/apple-touch-icon-b049.png">',
        '<link rel="icon" type="image/png" href="/favicon-72a2.png">',
    )
    # GitLab-style mislabelling: the touch icon is a PNG whatever `type` says.
    assert favicon_candidates(html, PAGE)[0] == "https://example.com/apple-touch-icon-b049.png"
    # A name that says ICO is believed.
    html = links(
        '<link rel="apple-touch-icon" href="/favicon.ico">', '<link rel="icon" href="/i.png">'
    )
    assert favicon_candidates(html, PAGE)[0] == "https://example.com/i.png"
