"""Delivery choices per client, and the crawler table kept in step with the platform rules."""

from __future__ import annotations

import pytest

from proxy.check.rules import load_platforms
from proxy.http.delivery import DeliveryPolicy, load_crawlers
from proxy.records import ImageMeta


def meta(content_type: str, size: int) -> ImageMeta:
    return ImageMeta(key="k", etag='"e"', size=size, content_type=content_type, modified=0.0)


POLICY = DeliveryPolicy(("webp", "avif"), load_crawlers())
WHATSAPP = POLICY.crawler("WhatsApp/2.23.20.0")


def test_every_crawler_token_is_recognised_and_a_browser_is_not() -> None:
    for crawler in load_crawlers():
        for token in crawler.tokens:
            found = POLICY.crawler(f"Mozilla/5.0 (compatible; {token}/1.0)")
            assert found is not None and found.name == crawler.name, token
    assert POLICY.crawler("Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36") is None
    assert POLICY.crawler(None) is None and POLICY.crawler("") is None


@pytest.mark.parametrize(
    ("accept", "card", "expected"),
    [
        ("image/avif,image/webp,*/*", "image/png", "avif"),
        ("image/webp,*/*;q=0.8", "image/png", "webp"),
        ("image/avif;q=0,image/webp", "image/png", "webp"),
        ("*/*", "image/png", None),
        (None, "image/png", None),
        ("image/webp", "image/webp", None),  # the card already is what it asks for
        ("image/png", "image/webp", "jpeg"),  # a WebP card for a client that takes no WebP
    ],
)
def test_browsers_get_what_they_accept(accept: str | None, card: str, expected: str | None) -> None:
    assert POLICY.choose(meta(card, 100_000), None, accept) == expected


def test_crawlers_get_png_or_jpeg_within_their_budget() -> None:
    assert WHATSAPP is not None
    assert POLICY.choose(meta("image/png", 200_000), WHATSAPP, "image/webp") is None
    assert POLICY.choose(meta("image/png", 400_000), WHATSAPP, None) == "jpeg"  # over 300 KB
    assert POLICY.choose(meta("image/webp", 30_000), WHATSAPP, None) == "jpeg"


def test_negotiation_off_serves_the_stored_card() -> None:
    off = DeliveryPolicy((), load_crawlers())
    assert not off.negotiates
    assert off.choose(meta("image/png", 1000), None, "image/avif,image/webp") is None


def test_no_delivery_budget_exceeds_what_the_platform_rules_accept() -> None:
    # Two tables say something about the same platforms: the crawlers' (who is a crawler, how
    # much it may be sent) and the checker's (what the platform shows). Where both set a byte
    # limit, the one ogedge delivers under must never be above the one the platform accepts.
    crawlers = {c.name: c for c in load_crawlers()}
    compared = 0
    for platform in load_platforms():
        crawler = crawlers.get(platform.id)
        limits = [r.max_bytes for r in platform.image.values() if r.max_bytes]
        if crawler is None or not limits:
            continue
        compared += 1
        assert crawler.max_bytes <= max(limits), (platform.id, crawler.max_bytes, limits)
        for token in platform.robots_tokens:  # and the checker's crawlers are recognised
            found = POLICY.crawler(f"Mozilla/5.0 (compatible; {token}/1.0)")
            assert found is not None, (platform.id, token)
    assert compared >= 5
