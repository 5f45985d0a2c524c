"""Descriptions: the chain past JSON-LD to the article's lede, and the junk never taken."""

from __future__ import annotations

import pytest

from proxy.scrape import extract
from proxy.scrape.junk import is_boilerplate, is_placeholder

PAGE = "https://example.com/post"
LEDE = "When the museum stayed open until dawn, the queue reached the river by nine o'clock."


def description(head: str = "", body: str = "") -> str | None:
    return extract(f"<html><head>{head}</head><body>{body}</body></html>", PAGE).description


# --- the junk filter -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Loading…",
        "Loading...",
        "loading",
        "Just a moment...",
        "Please wait",
        "React App",
        "Web site created using create-react-app",
        "You need to enable JavaScript to run this app.",
    ],
)
def test_placeholders(text: str) -> None:
    assert is_placeholder(text)
    assert is_boilerplate(text)


@pytest.mark.parametrize(
    "text",
    [
        "Please enable JavaScript to view this page.",
        "JavaScript is required to use this site.",
        "We're sorry but Flowboard doesn't work properly without JavaScript enabled.",
        "Please enable cookies and reload the page.",
        "We use cookies to improve your experience on our site.",
        "This website uses cookies to ensure you get the best experience.",
        "shop.example needs to review the security of your connection before proceeding.",
        "Checking if the site connection is secure",
    ],
)
def test_notices(text: str) -> None:
    assert is_boilerplate(text)
    assert not is_placeholder(text)


@pytest.mark.parametrize(
    "text",
    [
        "How to enable JavaScript in Chrome, Firefox and Safari.",
        "A history of the cookie, from Persian kitchens to the supermarket shelf.",
        "Loading bays, ramps and docks: designing a warehouse that works.",
        "Lisbon",
    ],
)
def test_articles_about_these_things_are_kept(text: str) -> None:
    assert not is_boilerplate(text)


# --- the chain -----------------------------------------------------------------------------


def test_junk_meta_description_falls_through() -> None:
    head = (
        '<meta property="og:description" content="Loading…">'
        '<meta name="twitter:description" content="JavaScript is required to use this site.">'
        '<meta name="description" content="The real one.">'
    )
    assert description(head) == "The real one."


def test_json_ld_description_after_meta() -> None:
    ld = '<script type="application/ld+json">{"@type":"Place","description":"From LD."}</script>'
    assert description(ld) == "From LD."
    assert description('<meta name="description" content="Meta.">' + ld) == "Meta."


def test_description_repeating_the_title_is_skipped() -> None:
    head = (
        '<meta property="og:title" content="Spring menu">'
        '<meta property="og:description" content="Spring menu">'
        '<meta name="twitter:description" content="spring MENU.">'
        '<meta name="description" content="Six plates for the new season.">'
    )
    assert description(head) == "Six plates for the new season."


def test_description_repeating_the_site_name_is_skipped() -> None:
    head = '<meta property="og:site_name" content="Tidings"><meta name="description" content="Tidings">'
    assert description(head) is None


def test_only_junk_gives_none() -> None:
    assert (
        description('<meta name="description" content="Web site created using create-react-app">')
        is None
    )


# --- the lede ------------------------------------------------------------------------------


def test_lede_from_the_article() -> None:
    body = f"<nav><p>{LEDE} (nav)</p></nav><article><p>Day one 🎉</p><p>{LEDE}</p></article>"
    assert description(body=body) == LEDE


def test_lede_is_last_in_the_chain() -> None:
    assert (
        description('<meta name="description" content="Meta.">', f"<main><p>{LEDE}</p></main>")
        == "Meta."
    )


@pytest.mark.parametrize(
    "furniture",
    [
        '<div class="cookie-consent"><p>{}</p></div>',
        '<div id="newsletter-signup"><p>{}</p></div>',
        '<p class="byline">{}</p>',
        "<figure><figcaption><p>{}</p></figcaption></figure>",
        "<blockquote><p>{}</p></blockquote>",
        "<aside><p>{}</p></aside>",
        "<form><p>{}</p></form>",
    ],
)
def test_lede_skips_furniture(furniture: str) -> None:
    body = "<article>" + furniture.format("Furniture text " * 8) + f"<p>{LEDE}</p></article>"
    assert description(body=body) == LEDE


def test_lede_skips_notices_and_short_lines() -> None:
    notice = "We use cookies and similar technologies to recognise your visits. Please enable cookies to continue."
    body = f"<main><p>{notice}</p><p>By Sam, 12 June</p><p>{LEDE}</p></main>"
    assert description(body=body) == LEDE


def test_no_lede_outside_a_content_root_or_on_a_placeholder_page() -> None:
    assert description(body=f"<div><p>{LEDE}</p></div>") is None
    assert description("<title>Just a moment...</title>", f"<main><p>{LEDE}</p></main>") is None


def test_lede_is_truncated_to_the_renderer_limit() -> None:
    got = description(body=f"<article><p>{'word ' * 300}</p></article>")
    assert got is not None
    assert len(got) <= 500
