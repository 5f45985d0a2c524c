"""The card image: each source in turn, and each kind of junk refused wherever it comes from."""

from __future__ import annotations

import pytest

from proxy.scrape import extract
from proxy.scrape.images import Candidate, is_junk_image, meta_images

PAGE = "https://www.example.com/post/one"
GOOD = "https://www.example.com/img/card.jpg"


def image(head: str = "", body: str = "") -> str | None:
    return extract(f"<html><head>{head}</head><body>{body}</body></html>", PAGE).image


def og(url: str, *props: str) -> str:
    tags = [f'<meta property="og:image" content="{url}">']
    tags += [
        f'<meta property="og:image:{k}" content="{v}">' for k, v in (p.split("=") for p in props)
    ]
    return "".join(tags)


TWITTER_GOOD = f'<meta name="twitter:image" content="{GOOD}">'


# --- junk, one rule at a time --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "width", "height", "media"),
    [
        ("https://a.example/brand/logo.svg", None, None, ""),
        ("https://a.example/brand/logo", None, None, "image/svg+xml"),
        ("https://a.example/card.png", 64, 64, ""),  # declared tiny
        ("https://a.example/card.png", 1200, 1, ""),
        ("https://a.example/authors/kim-64x64.jpg", None, None, ""),  # tiny by its name
        ("https://a.example/resize?src=x.jpg&w=48", None, None, ""),  # tiny by its query
        ("https://secure.gravatar.example/avatar/ab12?s=48&d=mm", None, None, ""),
        ("https://a.example/img/blank.gif", None, None, ""),
        ("https://a.example/img/spacer.gif", None, None, ""),
        ("https://a.example/img/pixel.gif", None, None, ""),
        ("https://a.example/img/1x1.png", None, None, ""),
        ("https://a.example/img/transparent.png", None, None, ""),
        ("https://a.example/img/placeholder.png", None, None, ""),
        ("https://www.facebook.example/tr?id=1&ev=PageView", None, None, ""),
        ("https://pixel.wp.example/g.gif?blog=1", None, None, ""),
        ("https://s.w.org/images/core/emoji/14.0.0/72x72/1f389.png", None, None, ""),
        ("https://cdn.example/twemoji/2.0/72x72/1f600.png", None, None, ""),
    ],
)
def test_junk(url: str, width: int | None, height: int | None, media: str) -> None:
    assert is_junk_image(url, width, height, media)


@pytest.mark.parametrize(
    "url",
    [
        "https://pixelforge.example/cards/changelog.png",  # "pixel" in the host is fine
        "https://a.example/products/google-pixel-8.jpg",
        "https://a.example/uploads/bike-lanes-1200x630.jpg",
        "https://a.example/recipes/leeks-16x9.jpg",  # an aspect ratio, not a size
        "https://secure.gravatar.example/avatar/ab12?s=250",
        "https://a.example/card.png?w=1200&h=630",
        "https://a.example/i/hb/drill_18v?$pdp$&fmt=auto",
    ],
)
def test_not_junk(url: str) -> None:
    assert not is_junk_image(url)


# --- meta tags -----------------------------------------------------------------------------


def test_structured_og_image_properties_follow_their_image() -> None:
    pairs = [
        ("og:image", "/pixel-ish.gif"),
        ("og:image:width", "1"),
        ("og:image:height", "1"),
        ("og:image", "/real.jpg"),
        ("og:image:url", "/real.jpg"),  # the same image again, not a third
        ("og:image:width", "1200"),
        ("twitter:image", "/tw.jpg"),
    ]
    assert meta_images(pairs) == [
        Candidate("/pixel-ish.gif", 1, 1),
        Candidate("/real.jpg", 1200, None),
        Candidate("/tw.jpg"),
    ]


def test_tiny_first_og_image_gives_way_to_the_next() -> None:
    head = og("/img/logo-square.png", "width=64", "height=64") + og(GOOD, "width=1200")
    assert image(head) == GOOD


def test_tiny_og_image_gives_way_to_twitter() -> None:
    assert image(og("/static/logo.png", "width=64", "height=64") + TWITTER_GOOD) == GOOD


def test_svg_og_image_gives_way_to_twitter() -> None:
    assert image(og("/brand/logo.svg") + TWITTER_GOOD) == GOOD
    assert image(og("/brand/logo", "type=image/svg+xml") + TWITTER_GOOD) == GOOD


def test_secure_url_preferred_over_plain_http() -> None:
    head = (
        og("http://cdn.example/a.jpg")
        + '<meta property="og:image:secure_url" content="https://cdn.example/a.jpg">'
    )
    assert image(head) == "https://cdn.example/a.jpg"
    # An https og:image stays first.
    head = (
        og("https://cdn.example/a.jpg")
        + '<meta property="og:image:secure_url" content="https://cdn.example/b.jpg">'
    )
    assert image(head) == "https://cdn.example/a.jpg"


# --- JSON-LD, link, poster -----------------------------------------------------------------


def ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


@pytest.mark.parametrize(
    "data",
    [
        '{"@type": "Article", "image": "/img/card.jpg"}',
        '{"@type": "Article", "image": {"@type": "ImageObject", "url": "/img/card.jpg"}}',
        '{"@type": "Product", "image": ["/img/card.jpg", "/img/b.jpg"]}',
        '{"@type": "VideoObject", "thumbnailUrl": "/img/card.jpg"}',
        '{"@type": "Article", "image": [{"url": "/img/tiny.jpg", "width": 50}, "/img/card.jpg"]}',
    ],
)
def test_json_ld_images(data: str) -> None:
    assert image(ld(data)) == GOOD


def test_json_ld_after_twitter_before_link_and_poster() -> None:
    jsonld = ld('{"@type": "Article", "image": "/img/ld.jpg"}')
    assert image(jsonld + TWITTER_GOOD) == GOOD
    link = '<link rel="image_src" href="/img/link.jpg">'
    assert image(link + jsonld) == "https://www.example.com/img/ld.jpg"


def test_video_poster() -> None:
    body = '<video poster="/img/card.jpg" width="960"><source src="/v.mp4"></video>'
    assert image(body=body) == GOOD


def test_organization_logo_and_avatar_are_not_images() -> None:
    data = (
        '[{"@type": "Organization", "image": "/logo.png"}, {"@type": "Person", "image": "/me.jpg"}]'
    )
    assert image(ld(data)) is None


# --- the article body ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "img",
    [
        '<img src="/img/card.jpg" width="1024" height="683">',
        '<img src="/img/card-1600x900.jpg">',  # size from the name
        # Lazy loading: a data: SVG or a blank.gif in src, the real image in data-*.
        '<img src="data:image/svg+xml,%3Csvg%3E" data-lazy-src="/img/card.jpg" width="1600" height="900">',
        '<img src="/img/blank.gif" data-src="/img/card.jpg" width="1600" height="900">',
        '<img data-original="/img/card.jpg" width="800">',
    ],
)
def test_body_lead_image(img: str) -> None:
    got = image(body=f"<article><p>x</p>{img}</article>")
    assert got is not None
    assert got.startswith("https://www.example.com/img/card")


@pytest.mark.parametrize(
    "img",
    [
        '<img src="/img/card.jpg">',  # no evidence of its size
        '<img src="/img/card.jpg" width="200" height="200">',  # too small for a card
        '<img src="/img/card.jpg" width="728" height="90">',  # a banner
        '<img class="avatar" src="/img/card.jpg" width="400" height="400">',
        '<img class="emoji" src="/img/card.jpg" width="400" height="400">',
        '<img class="site-logo" src="/img/card.jpg" width="400" height="400">',
        '<img aria-hidden="true" src="/img/card.jpg" width="400" height="400">',
        '<img src="/img/x.svg" width="1200" height="600">',
        '<img src="/cdn/x_{width}x.jpg" width="1200" height="600">',  # an unfilled template
        '<img src="data:image/png;base64,AAAA" width="1200" height="600">',
    ],
)
def test_body_images_refused(img: str) -> None:
    assert image(body=f"<article>{img}</article>") is None


def test_body_image_only_from_the_content_root() -> None:
    big = '<img src="/img/card.jpg" width="1200" height="600">'
    assert image(body=f"<header>{big}</header><main><p>Text</p></main>") is None
    assert image(body=f"<main>{big}</main>") == GOOD
    assert image(body=f'<div role="main">{big}</div>') == GOOD


def test_no_body_image_on_a_placeholder_page() -> None:
    body = '<main><img src="/img/card.jpg" width="1200" height="600"></main>'
    assert image("<title>Just a moment...</title>", body) is None
