"""check_page against a local site: each kind of finding, from the page's tags, its image and
its robots.txt, fetched through the guarded client."""

from __future__ import annotations

import pytest
import pyvips

from config.settings import FetchSettings
from devkit.ogedge import png_bytes
from proxy.check import Finding, PageChecker, PlatformReport, Report
from proxy.check.rules import load_platforms, parse_platforms, rules_text
from proxy.errors import InvalidInput
from proxy.netguard import GuardedClient
from proxy.pages import UnusablePage
from tests.support.site import Site, padded_png, page

CARD = png_bytes(1200, 630)  # about 64 KB: under every platform's byte limit


def tags(
    image: str = "/og.png", *, title: str = "Faster cards", card: str = "summary_large_image"
) -> list[str]:
    return [
        f'<meta property="og:title" content="{title}">',
        '<meta property="og:description" content="How we render cards in milliseconds.">',
        f'<meta property="og:image" content="{image}">',
        '<meta property="og:url" content="/post">',
        '<meta property="og:type" content="article">',
        f'<meta name="twitter:card" content="{card}">',
    ]


def serve(site: Site, *head: str, image: bytes | None = CARD, robots: str | None = "") -> str:
    """The page at /post with `head`, the image at /og.png, robots.txt (None: a 404)."""
    if image is not None:
        site.add("/og.png", image, "image/png")
    if robots is not None:
        site.add("/robots.txt", robots.encode(), "text/plain")
    return site.add("/post", page(*head))


def by_id(report: Report) -> dict[str, PlatformReport]:
    return {p.id: p for p in report.platforms}


def finding(platform: PlatformReport, code: str) -> Finding:
    found = [f for f in platform.findings if f.code == code]
    assert found, f"{platform.id}: no {code} in {platform.findings}"
    return found[0]


def problems(platform: PlatformReport) -> list[str]:
    return [f"{f.level} {f.code}" for f in platform.findings if f.level != "ok"]


async def test_a_good_page_passes_everywhere(site: Site, checker: PageChecker) -> None:
    report = await checker.check_page(serve(site, *tags()))
    assert {p.id: problems(p) for p in report.platforms} == {p.id: [] for p in load_platforms()}
    assert report.status == "ok"
    x = by_id(report)["x"]
    assert x.shows.card == "summary_large_image"
    assert x.shows.title == "Faster cards"
    assert x.shows.image == site.url("/og.png")
    assert finding(x, "image_ok").message == "image 1200\u00d7630 PNG, 64 KB"
    assert by_id(report)["imessage"].shows.description is None  # Messages shows none
    # One fetch each, however many platforms read them.
    assert (site.hits["/post"], site.hits["/og.png"], site.hits["/robots.txt"]) == (1, 1, 1)
    assert [(i.url, i.format, i.width, i.height) for i in report.images] == [
        (site.url("/og.png"), "png", 1200, 630)
    ]


async def test_missing_tags(site: Site, checker: PageChecker) -> None:
    report = await checker.check_page(serve(site))  # a <title> and nothing else
    fb, x = by_id(report)["facebook"], by_id(report)["x"]
    assert fb.shows.title == "A page"  # <title> is Facebook's fallback
    assert finding(fb, "title_fallback").message == "title from <title> (og:title is missing)"
    assert finding(fb, "image_missing").level == "fail"
    assert "missing og:url, og:type, og:title, og:description, og:image" in (
        finding(fb, "tag_missing").message
    )
    assert finding(x, "title_missing").level == "fail"  # X reads no <title>
    image = finding(x, "image_missing")
    assert (image.level, image.message) == (
        "fail",
        "twitter:image missing: X falls back to og:image, missing too: no image",
    )
    assert finding(by_id(report)["mastodon"], "image_missing").level == "warn"
    assert report.status == "fail"


async def test_twitter_only_tags(site: Site, checker: PageChecker) -> None:
    url = serve(
        site,
        '<meta name="twitter:card" content="summary_large_image">',
        '<meta name="twitter:title" content="Only for X">',
        '<meta name="twitter:description" content="Read on.">',
        '<meta name="twitter:image" content="/og.png">',
    )
    report = by_id(await checker.check_page(url))
    assert problems(report["x"]) == []
    assert report["x"].shows.title == "Only for X"
    # Facebook reads og: only: the page title stands in, and there is no image.
    assert report["facebook"].shows.title == "A page"
    assert finding(report["facebook"], "image_missing").level == "fail"
    # Slack, Discord and Bluesky fall back to the twitter: tags.
    for pid in ("slack", "discord", "bluesky"):
        assert report[pid].shows.image == site.url("/og.png"), pid
        assert report[pid].shows.title == "Only for X", pid
    assert finding(report["discord"], "image_fallback").message == (
        "image from twitter:image (og:image is missing)"
    )
    assert report["mastodon"].shows.image is None


async def test_too_small_image(site: Site, checker: PageChecker) -> None:
    report = by_id(await checker.check_page(serve(site, *tags(), image=png_bytes(150, 150))))
    small = finding(report["facebook"], "image_too_small")
    assert (small.level, small.message) == (
        "fail",
        "image is 150\u00d7150: Facebook needs at least 200\u00d7200",
    )
    assert finding(report["x"], "image_too_small").message == (
        "image is 150\u00d7150: X needs at least 300\u00d7157"
    )
    # WhatsApp's minimum is only observed: a warning that says so.
    whatsapp = finding(report["whatsapp"], "image_too_small")
    assert whatsapp.level == "warn" and "observed" in whatsapp.message


async def test_summary_card_has_its_own_minimum(site: Site, checker: PageChecker) -> None:
    image = png_bytes(150, 150)
    report = by_id(await checker.check_page(serve(site, *tags(card="summary"), image=image)))
    assert problems(report["x"]) == []  # 144x144 is the summary card's minimum, 1:1 its shape


async def test_too_heavy_image(site: Site, checker: PageChecker) -> None:
    heavy = padded_png(CARD, 5_200_000)  # 5.3 MB, still 1200x630
    report = by_id(await checker.check_page(serve(site, *tags(), image=heavy)))
    x = finding(report["x"], "image_too_heavy")
    assert (x.level, x.message) == ("fail", "image is 5.3 MB: X accepts at most 5.0 MB")
    assert finding(report["mastodon"], "image_too_heavy").level == "fail"  # 2 MiB
    assert finding(report["whatsapp"], "image_too_heavy").level == "warn"  # ~300 KB, observed
    assert problems(report["facebook"]) == []  # under 8 MB


async def test_an_image_over_every_limit_is_not_read_to_the_end(
    site: Site, client: GuardedClient
) -> None:
    small = rules_text().replace("max_bytes = 8000000", "max_bytes = 1000", 1)
    platforms = tuple(p for p in parse_platforms(small) if p.id in ("facebook", "bluesky"))
    checker = PageChecker(client, 512 * 1024, platforms)  # cap: 1001 bytes
    report = await checker.check_page(serve(site, *tags()))
    assert report.images[0].over_limit
    assert finding(by_id(report)["facebook"], "image_too_heavy").message == (
        "image is over 1 KB: Facebook accepts at most 1 KB"
    )
    assert finding(by_id(report)["bluesky"], "image_unread").level == "warn"  # no published limit


async def test_wrong_aspect(site: Site, checker: PageChecker) -> None:
    square = png_bytes(1000, 1000)
    report = by_id(await checker.check_page(serve(site, *tags(), image=square)))
    aspect = finding(report["x"], "image_aspect")
    assert aspect.level == "warn"
    assert aspect.message.startswith("image is 1.00:1 (1000\u00d71000): X shows 2:1")
    assert finding(report["facebook"], "image_aspect").level == "warn"


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="630"/>', "SVG"),
        (b"BM" + b"\x00" * 4000, "BMP"),
    ],
)
async def test_unsupported_format(
    site: Site, checker: PageChecker, data: bytes, shown: str
) -> None:
    report = by_id(await checker.check_page(serve(site, *tags(), image=data)))
    x = finding(report["x"], "image_format")
    assert (x.level, x.message) == ("fail", f"image is {shown}: X accepts JPEG, PNG, WebP, GIF")
    assert finding(report["bluesky"], "image_format").level == "warn"  # its formats are observed


async def test_gif_is_fine_for_x_but_not_for_imessage(site: Site, checker: PageChecker) -> None:
    gif = bytes(pyvips.Image.black(1200, 600, bands=3).gifsave_buffer())
    report = by_id(await checker.check_page(serve(site, *tags(), image=gif)))
    assert problems(report["x"]) == []
    assert finding(report["imessage"], "image_format").level == "warn"


async def test_image_404(site: Site, checker: PageChecker) -> None:
    report = by_id(await checker.check_page(serve(site, *tags(), image=None)))
    for pid in ("facebook", "x", "linkedin", "mastodon"):
        status = finding(report[pid], "image_status")
        assert (status.level, status.message) == (
            "fail",
            f"image answered 404: {report[pid].name} shows none",
        )


async def test_image_that_is_a_web_page(site: Site, checker: PageChecker) -> None:
    site.add("/og.png", page(), "text/html")
    report = by_id(await checker.check_page(serve(site, *tags(), image=None)))
    assert finding(report["x"], "image_content_type").level == "warn"
    assert finding(report["x"], "image_format").message.startswith("image is HTML:")


async def test_robots_disallows_one_crawler_not_another(site: Site, checker: PageChecker) -> None:
    robots = "User-agent: Twitterbot\nDisallow: /post\n\nUser-agent: *\nAllow: /\n"
    report = by_id(await checker.check_page(serve(site, *tags(), robots=robots)))
    blocked = finding(report["x"], "robots_disallowed")
    assert (blocked.level, blocked.message) == (
        "fail",
        "robots.txt disallows Twitterbot: X shows no preview",
    )
    assert finding(report["facebook"], "robots_allowed").message == (
        "robots.txt allows facebookexternalhit"
    )
    assert problems(report["facebook"]) == []


async def test_robots_disallowing_everyone(site: Site, checker: PageChecker) -> None:
    report = by_id(
        await checker.check_page(serve(site, *tags(), robots="User-agent: *\nDisallow: /\n"))
    )
    assert finding(report["linkedin"], "robots_disallowed").level == "warn"  # obeys: observed
    assert finding(report["discord"], "robots_disallowed").level == "warn"  # obeys: observed
    assert finding(report["facebook"], "robots_disallowed").level == "fail"  # documented
    assert finding(report["whatsapp"], "robots_disallowed").level == "warn"  # unknown
    ignored = finding(report["mastodon"], "robots_ignored")
    assert ignored.level == "ok" and "does not read robots.txt" in ignored.message
    # A Slackbot group applies to Slackbot-LinkExpanding too, and Slack ignores it anyway.
    assert finding(report["slack"], "robots_ignored").level == "ok"


async def test_robots_blocking_only_the_image(site: Site, checker: PageChecker) -> None:
    site.add("/img/og.png", CARD, "image/png")
    robots = "User-agent: Twitterbot\nDisallow: /img/\n"
    report = by_id(await checker.check_page(serve(site, *tags("/img/og.png"), robots=robots)))
    blocked = finding(report["x"], "robots_disallowed")
    assert blocked.message == (
        f"robots.txt disallows Twitterbot from the image {site.url('/img/og.png')}: X shows no image"
    )
    assert not any(f.code == "robots_disallowed" for f in report["facebook"].findings)


async def test_missing_and_failing_robots(site: Site, checker: PageChecker) -> None:
    report = await checker.check_page(serve(site, *tags(), robots=None))
    assert (report.robots.state, report.robots.status) == ("missing", 404)
    assert report.status == "ok"  # no robots.txt: everything allowed
    site.add("/robots.txt", b"down", "text/plain", status=503)
    report = await checker.check_page(site.url("/post"))
    assert report.robots.state == "unreachable"
    unreachable = finding(by_id(report)["x"], "robots_unreachable")
    assert unreachable.level == "warn" and "answered 503" in unreachable.message
    assert finding(by_id(report)["mastodon"], "robots_ignored").message == (
        "robots.txt answered 503, but Mastodon does not read robots.txt"
    )


async def test_long_title_is_cut(site: Site, checker: PageChecker) -> None:
    title = "A very long title " * 5  # 90 characters
    report = by_id(await checker.check_page(serve(site, *tags(title=title))))
    cut = finding(report["x"], "title_too_long")
    assert cut.level == "warn"
    assert cut.message.startswith("title is 89 characters: X shows about 70")


async def test_discord_needs_the_large_image_card(site: Site, checker: PageChecker) -> None:
    report = by_id(await checker.check_page(serve(site, *tags(card="summary"))))
    thumb = finding(report["discord"], "card_thumbnail")
    assert thumb.level == "warn"
    assert "twitter:card summary_large_image gives a large one" in thumb.message


async def test_the_last_twitter_card_wins_and_unknown_cards_are_named(
    site: Site, checker: PageChecker
) -> None:
    head = [*tags(card="summary"), '<meta name="twitter:card" content="gallery">']
    report = by_id(await checker.check_page(serve(site, *head)))
    assert report["x"].shows.card == "gallery"
    assert finding(report["x"], "card_unknown").level == "warn"


async def test_pages_that_cannot_be_checked(site: Site, checker: PageChecker) -> None:
    with pytest.raises(InvalidInput):
        await checker.check_page("ftp://example.com/post")
    with pytest.raises(UnusablePage, match="answered HTTP 404"):
        await checker.check_page(site.url("/nowhere"))
    site.add("/data.json", b"{}", "application/json")
    with pytest.raises(UnusablePage, match="wrong content type"):
        await checker.check_page(site.url("/data.json"))


async def test_the_guard_still_refuses_private_addresses(site: Site) -> None:
    guarded = await GuardedClient.create(FetchSettings(allow_private=False))
    try:
        with pytest.raises(UnusablePage, match="non-public address"):
            await PageChecker(guarded, 512 * 1024).check_page(serve(site, *tags()))
    finally:
        await guarded.close()
    assert site.hits["/post"] == 0


async def test_image_that_cannot_be_fetched(site: Site, checker: PageChecker) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    report = by_id(await checker.check_page(serve(site, *tags("http://127.0.0.1:1/og.png"))))
    failed = finding(report["facebook"], "image_unreachable")
    assert failed.level == "fail"
    assert failed.message.startswith("image could not be fetched: the remote server could not")
