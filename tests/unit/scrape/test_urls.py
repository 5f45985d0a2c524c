"""URL resolution and the http(s)-only rule."""

from __future__ import annotations

import pytest

from proxy.scrape.urls import DATA_ICON_MAX, absolute_url, data_image_type, display_host

PAGE = "https://example.com/blog/post?id=1"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("img.png", "https://example.com/blog/img.png"),
        ("/img.png", "https://example.com/img.png"),
        ("../img.png", "https://example.com/img.png"),
        ("//cdn.example.net/a.png", "https://cdn.example.net/a.png"),
        ("http://other.org/a.png", "http://other.org/a.png"),
        ("HTTPS://Other.org/a.png", "https://Other.org/a.png"),
        ("  /a.png\n", "https://example.com/a.png"),
        ("/a\n.png", "https://example.com/a.png"),
        ("/a.png#frag", "https://example.com/a.png"),
        ("?page=2", "https://example.com/blog/post?page=2"),
        ("https://example.com", "https://example.com/"),
    ],
)
def test_resolves(href: str, expected: str) -> None:
    assert absolute_url(href, PAGE) == expected


@pytest.mark.parametrize(
    "href",
    [
        None,
        "",
        "   ",
        "javascript:alert(1)",
        "java\nscript:alert(1)",
        " JavaScript:alert(1)",
        "data:image/png;base64,AAAA",
        "vbscript:x",
        "ftp://example.com/a.png",
        "file:///etc/passwd",
        "mailto:a@example.com",
        "https://user:pw@example.com/a.png",
        "https://example.com:99999/a.png",
        "https://[::1/a.png",
        "https://",
        "/" + "a" * 5000,
    ],
)
def test_drops_unusable(href: str | None) -> None:
    assert absolute_url(href, PAGE) is None


def test_relative_against_non_http_base_is_dropped() -> None:
    assert absolute_url("a.png", "") is None
    assert absolute_url("a.png", "file:///tmp/x.html") is None


def test_data_image_types() -> None:
    assert data_image_type("data:image/png;base64,iVBORw0KGgo=") == "image/png"
    assert data_image_type("DATA:image/WEBP;base64,UklGRg==") == "image/webp"
    assert data_image_type("data:image/svg+xml;base64,PHN2Zz4=") is None
    assert data_image_type("data:image/png,rawbytes") is None
    assert data_image_type("data:text/html;base64,PGgxPg==") is None
    assert data_image_type("data:image/png;base64," + "A" * DATA_ICON_MAX) is None


def test_display_host() -> None:
    assert display_host("https://www.Example.com:8443/x") == "example.com"
    assert display_host("https://xn--bcher-kva.example/") == "bücher.example"
    assert display_host("not a url") == ""
