"""One platform's verdict on a page: what it reads, what it will show, what it rejects.

Pure: the page's tags, its robots.txt and its fetched images come in; a PlatformReport comes out.
A broken rule is a failure when the platform publishes it and a warning when it is only observed
(the platform's `observed` list), so the report never fails a page on hearsay.
"""

from __future__ import annotations

from proxy.check.image_rules import judge_image
from proxy.check.report import Finding, ImageReport, Level, PlatformReport, Preview, worst
from proxy.check.robots import Robots, same_origin
from proxy.check.rules import ANY_CARD, ImageRule, Platform
from proxy.check.tags import PageTags

__all__ = ["CARD_TYPES", "evaluate"]

#: The card types of the twitter:card vocabulary (X's getting-started guide).
CARD_TYPES = frozenset({"summary", "summary_large_image", "app", "player"})


class _Verdict:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.findings: list[Finding] = []

    def add(self, level: Level, code: str, message: str) -> None:
        self.findings.append(Finding(level, code, message))

    def breach(self, key: str, code: str, message: str) -> None:
        if self.platform.is_observed(key):
            self.add("warn", code, f"{message} (observed, not published)")
        else:
            self.add("fail", code, message)


def evaluate(
    platform: Platform,
    tags: PageTags,
    robots: Robots,
    page_urls: tuple[str, ...],
    images: dict[str, ImageReport],
    image_cap: int,
) -> PlatformReport:
    """`page_urls`: the URL checked and, on the same origin, where it redirected to."""
    verdict = _Verdict(platform)
    _robots(verdict, robots, page_urls, "the page", "no preview")
    title = _text(verdict, tags, "title", platform.title_tags, platform.title_max)
    description = _text(
        verdict, tags, "description", platform.description_tags, platform.description_max
    )
    card = _card(verdict, tags)
    image = _image(verdict, tags, card, robots, page_urls[0], images, image_cap)
    missing = [t for t in platform.expected if tags.get(t) is None]
    if missing:
        verdict.add(
            "warn",
            "tag_missing",
            f"missing {', '.join(missing)}: {platform.name} expects "
            f"{'it' if len(missing) == 1 else 'them'}",
        )
    return PlatformReport(
        id=platform.id,
        name=platform.name,
        status=worst([f.level for f in verdict.findings]),
        shows=Preview(title=title, description=description, image=image, card=card),
        findings=verdict.findings,
    )


def _robots(
    verdict: _Verdict, robots: Robots, urls: tuple[str, ...], what: str, outcome: str
) -> None:
    """Findings for `urls` (`what` names them); `outcome` is what a block costs."""
    p = verdict.platform
    state = robots.report.state
    if state == "unread":
        if p.robots != "ignores":
            verdict.add("warn", "robots_unread", f"{robots.report.error}: {p.name} not checked")
        return
    blocked = next((t for t in p.robots_tokens for u in urls if robots.allows(t, u) is False), None)
    if blocked is None:
        if state == "found" and what == "the page":
            verdict.add("ok", "robots_allowed", f"robots.txt allows {p.robots_tokens[0]}")
        return
    if state == "unreachable":
        why = f"answered {robots.report.status}" if robots.report.status else "did not answer"
        if p.robots == "ignores":
            message = f"robots.txt {why}, but {p.name} does not read robots.txt"
            verdict.add("ok", "robots_ignored", message)
        else:
            message = (
                f"robots.txt {why}: crawlers that follow RFC 9309 ({blocked}) treat {what} "
                "as disallowed"
            )
            verdict.add("warn", "robots_unreachable", message)
        return
    message = f"robots.txt disallows {blocked}"
    if what != "the page":
        message += f" from {what}"
    if p.robots == "obeys":
        verdict.breach("robots", "robots_disallowed", f"{message}: {p.name} shows {outcome}")
    elif p.robots == "unknown":
        verdict.add(
            "warn",
            "robots_disallowed",
            f"{message}: whether {p.name} reads robots.txt is not known",
        )
    else:
        verdict.add("ok", "robots_ignored", f"{message}, but {p.name} does not read robots.txt")


def _text(
    verdict: _Verdict, tags: PageTags, field: str, names: tuple[str, ...], limit: int | None
) -> str | None:
    p = verdict.platform
    if not names:
        return None  # the platform does not show this field
    found = tags.first(names)
    if found is None:
        message = f"no {field}: {p.name} reads {', then '.join(names)}; the page has none"
        if field in p.required:
            verdict.breach("required", f"{field}_missing", message)
        else:
            verdict.add("warn", f"{field}_missing", message)
        return None
    tag, value = found
    if tag != names[0]:
        verdict.add("ok", f"{field}_fallback", f"{field} from {tag} ({names[0]} is missing)")
    if limit is not None and len(value) > limit:
        # A cut text is still shown: a warning, published limit or not.
        observed = " (observed)" if p.is_observed(f"{field}_max") else ""
        verdict.add(
            "warn",
            f"{field}_too_long",
            f"{field} is {len(value)} characters: {p.name} shows about {limit}{observed}, "
            "the rest is cut",
        )
    return value


def _card(verdict: _Verdict, tags: PageTags) -> str | None:
    p = verdict.platform
    if not p.card_tags:
        return None
    found = tags.first(p.card_tags)
    card = found[1].strip().lower() if found else p.default_card
    if found is not None and card not in CARD_TYPES:
        verdict.add(
            "warn",
            "card_unknown",
            f"{found[0]} {found[1]!r} is not a card type ({', '.join(sorted(CARD_TYPES))})",
        )
    elif found is None and p.default_card is not None:
        verdict.add("ok", "card_default", f"no {p.card_tags[0]}: {p.name} uses {card}")
    if p.large_image_card is not None and card != p.large_image_card:
        verdict.breach(
            "large_image_card",
            "card_thumbnail",
            f"{p.name} shows the image as a small thumbnail: "
            f"{p.card_tags[0]} {p.large_image_card} gives a large one",
        )
    return card


def _image(
    verdict: _Verdict,
    tags: PageTags,
    card: str | None,
    robots: Robots,
    page_url: str,
    images: dict[str, ImageReport],
    cap: int,
) -> str | None:
    p = verdict.platform
    if not p.image_tags:
        return None
    found = tags.first(p.image_tags)
    if found is None:
        chain = f"{p.image_tags[0]} missing"
        if len(p.image_tags) > 1:
            chain += f": {p.name} falls back to {', then '.join(p.image_tags[1:])}, missing too"
        message = f"{chain}: no image"
        if "image" in p.required:
            verdict.breach("required", "image_missing", message)
        else:
            verdict.add("warn", "image_missing", message)
        return None
    tag, value = found
    url = tags.url(value)
    if url is None:
        message = f"{tag} {value[:80]!r} is not an http(s) URL: no image"
        if "image" in p.required:
            verdict.breach("required", "image_url", message)
        else:
            verdict.add("warn", "image_url", message)
        return None
    if tag != p.image_tags[0]:
        verdict.add("ok", "image_fallback", f"image from {tag} ({p.image_tags[0]} is missing)")
    page_blocked = any(f.code == "robots_disallowed" for f in verdict.findings)
    if same_origin(url, page_url) and not page_blocked:
        _robots(verdict, robots, (url,), f"the image {url}", "no image")
    # No rules for this card: the image must still answer and be an image.
    key, rule = p.image_rule(card) or (ANY_CARD, ImageRule())
    image = images.get(url)
    if image is not None:
        verdict.findings.extend(judge_image(p, key, rule, image, cap))
    return url
