"""Site names and titles: the chain, and cutting the site's name off a title only on evidence."""

from __future__ import annotations

import pytest

from proxy.scrape import extract
from proxy.scrape.names import Split, guess_suffix, host_labels, names_host, split_site

PAGE = "https://docs.tidewater.example/docs/start"


def doc(head: str = "", body: str = "", url: str = PAGE) -> tuple[str, str]:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>", url


def names(head: str = "", body: str = "", url: str = PAGE) -> tuple[str | None, str | None]:
    meta = extract(*doc(head, body, url))
    return meta.title, meta.site_name


# --- the pieces ----------------------------------------------------------------------------


def test_host_labels_drop_tld_and_generic_parts() -> None:
    assert host_labels("https://docs.tidewater.example/x") == ("tidewater",)
    assert host_labels("https://www.the-verge.example/") == ("theverge",)
    assert host_labels("not a url") == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tidewater", True),
        ("tide water", True),
        ("Tidewater Docs", True),  # built on the host's name
        ("Tidewater Documentation Portal", False),  # the host's name is under half of it
        ("Tide", False),
        ("", False),
    ],
)
def test_names_host(text: str, expected: bool) -> None:
    assert names_host(text, ("tidewater",)) is expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Getting Started | Tidewater", Split("Tidewater", "Getting Started")),
        ("Tidewater - Getting Started", Split("Tidewater", "Getting Started")),
        ("Getting Started | Acme", Split("Acme", "Getting Started")),  # declared name
        ("Getting Started | Other", None),
        ("Writing changelogs | Blog | Tidewater", Split("Tidewater", "Writing changelogs")),
        ("Zero-downtime | Tidewater", Split("Tidewater", "Zero-downtime")),
        ("Tidewater", None),
        ("| Tidewater", None),
    ],
)
def test_split_site_confirmed(title: str, expected: Split | None) -> None:
    assert split_site(title, ["Acme"], ("tidewater",)) == expected


@pytest.mark.parametrize(
    ("title", "heading", "expected"),
    [
        ("Configuration - Widgetry Docs", None, Split("Widgetry Docs", "Configuration")),
        ("Release notes \u00b7 Tessellate", None, Split("Tessellate", "Release notes")),
        (
            "Installation \u2014 Lantern 2.4 documentation",
            None,
            Split("Lantern 2.4 documentation", "Installation"),
        ),
        ("清水寺の歩き方\uff5cさくら旅", None, Split("さくら旅", "清水寺の歩き方")),
        # The page's heading repeats the whole title: the dash is part of it.
        ("Chapter 3 - Into the Woods", "Chapter 3 - Into the Woods", None),
        # Too long to be a name.
        ("Acme | The platform for building better widgets, faster", None, None),
        ("No separator here", None, None),
    ],
)
def test_guess_suffix(title: str, heading: str | None, expected: Split | None) -> None:
    assert guess_suffix(title, heading) == expected


# --- the site-name chain -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="og:site_name" content="OG"><meta name="application-name" content="App">',
            "OG",
        ),
        (
            '<script type="application/ld+json">{"@type":"NewsArticle","publisher":{"name":"Herald"}}</script>',
            "Herald",
        ),
        ('<script type="application/ld+json">{"@type":"WebSite","name":"Site"}</script>', "Site"),
        ('<meta name="application-name" content="App">', "App"),
        ('<meta name="apple-mobile-web-app-title" content="Kiteboard">', "Kiteboard"),
        ('<meta name="publisher" content="Riverside Gazette">', "Riverside Gazette"),
        ('<meta name="publisher" content="https://plus.example/123">', "docs.tidewater.example"),
        ("<title>Pricing | Brightside</title>", "Brightside"),
        ("<title>Just a page</title>", "docs.tidewater.example"),
        ("", "docs.tidewater.example"),
    ],
)
def test_site_name_chain(head: str, expected: str) -> None:
    assert names(head)[1] == expected


def test_host_confirmed_title_affix_beats_a_json_ld_publisher() -> None:
    head = (
        "<title>Lighthouse - Tidewater</title>"
        '<script type="application/ld+json">{"@type":"Article","publisher":{"name":"Tidewater Foundation Inc"}}</script>'
    )
    assert names(head) == ("Lighthouse", "Tidewater")


def test_declared_names_beat_a_guessed_suffix() -> None:
    head = '<title>Pricing | Brightside</title><meta name="application-name" content="Glow">'
    # "Brightside" is neither declared nor the host: not confident, so the title stays whole.
    assert names(head) == ("Pricing | Brightside", "Glow")


def test_whole_title_naming_the_host_is_the_site() -> None:
    assert names("<title>Orbit CRM</title>", url="https://app.orbitcrm.example/") == (
        "Orbit CRM",
        "Orbit CRM",
    )


# --- titles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # <title> fallback: a guessed suffix becomes the site and leaves the title.
        ("<title>Configuration - Widgetry Docs</title>", "", "Configuration"),
        # og:title is cut only when the affix is confirmed (here by og:site_name)...
        (
            '<meta property="og:title" content="GitHub - a/b: tools"><meta property="og:site_name" content="GitHub">',
            "",
            "a/b: tools",
        ),
        # ...or by the host.
        ('<meta property="og:title" content="Getting Started | Tidewater">', "", "Getting Started"),
        (
            '<meta property="og:title" content="Foo | Bar"><meta property="og:site_name" content="Baz">',
            "",
            "Foo | Bar",
        ),
        # The heading repeats the whole title: kept whole.
        (
            "<title>Chapter 3 - Into the Woods</title>",
            "<h1>Chapter 3 - Into the Woods</h1>",
            "Chapter 3 - Into the Woods",
        ),
        # A front page's part is only "Home": the site's name is the title.
        (
            '<title>Home | Yoga by Rina</title><meta property="og:site_name" content="Yoga by Rina">',
            "",
            "Yoga by Rina",
        ),
    ],
)
def test_title_affix(head: str, body: str, expected: str) -> None:
    assert names(head, body)[0] == expected


def test_json_ld_headline_after_title_element_before_h1() -> None:
    ld = '<script type="application/ld+json">{"@type":"Article","headline":"From LD"}</script>'
    assert names(ld + "<title>Element</title>", "<h1>H</h1>")[0] == "Element"
    assert names(ld, "<h1>H</h1>")[0] == "From LD"


@pytest.mark.parametrize("placeholder", ["Loading…", "Just a moment...", "React App", "Untitled"])
def test_placeholder_titles_are_no_title(placeholder: str) -> None:
    title, _ = names(f"<title>{placeholder}</title>", "<main><h1>Checking your browser</h1></main>")
    # The page is an interstitial or an app shell: not even its heading is the title.
    assert title is None


def test_placeholder_og_title_falls_through() -> None:
    head = '<meta property="og:title" content="Loading..."><title>Real title</title>'
    assert names(head)[0] == "Real title"


def test_cloudflare_title_names_no_site() -> None:
    _, site = names("<title>Attention Required! | Cloudflare</title>", url="https://shop.example/")
    assert site == "shop.example"
