"""One fetched image against one platform's image rules: the findings, in words.

Pure. A rule the platform does not publish (listed in its `observed`) gives a warning where a
published one gives a failure, and the message says so.
"""

from __future__ import annotations

from collections.abc import Callable

from proxy.check.report import Finding, ImageReport, Level
from proxy.check.rules import ImageRule, Platform

__all__ = ["FORMAT_NAMES", "human_bytes", "judge_image"]

FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WebP", "avif": "AVIF"}
_OBSERVED = " (observed, not published)"


def human_bytes(n: int) -> str:
    # Decimal units: the platforms state their limits in MB and KB.
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.0f} KB"
    return f"{n} bytes"


def _shown(fmt: str) -> str:
    return FORMAT_NAMES.get(fmt, fmt.upper())


def _size(w: int | None, h: int | None) -> str:
    return f"{w or '?'}\u00d7{h or '?'}"  # the multiplication sign


class _Judge:
    """Collects findings; `rule_key` is where this card's rules live in the platform table."""

    def __init__(self, platform: Platform, rule_key: str) -> None:
        self.platform = platform
        self.rule_key = rule_key
        self.findings: list[Finding] = []

    def add(self, level: Level, code: str, message: str) -> None:
        self.findings.append(Finding(level, code, message))

    def breach(self, key: str, code: str, message: str) -> None:
        """A rule is broken: a failure, or a warning when the rule is only observed."""
        if self.platform.is_observed(f"image.{self.rule_key}.{key}"):
            self.add("warn", code, message + _OBSERVED)
        else:
            self.add("fail", code, message)


def judge_image(
    platform: Platform, rule_key: str, rule: ImageRule, image: ImageReport, cap: int
) -> list[Finding]:
    judge = _Judge(platform, rule_key)
    name = platform.name
    if image.error is not None and image.format is None:
        judge.add("fail", "image_unreachable", f"image could not be fetched: {image.error}")
        return judge.findings
    if image.over_limit:
        _over_cap(judge, rule, cap)
        return judge.findings
    if image.status != 200:
        judge.add("fail", "image_status", f"image answered {image.status}: {name} shows none")
        return judge.findings
    fmt = image.format or "unknown"
    if image.content_type is not None and not image.content_type.startswith("image/"):
        judge.add(
            "warn",
            "image_content_type",
            f"image is served as {image.content_type}, not image/*: crawlers may refuse it",
        )
    if rule.formats and fmt not in rule.formats:
        accepted = ", ".join(_shown(f) for f in rule.formats)
        judge.breach(
            "formats", "image_format", f"image is {_shown(fmt)}: {name} accepts {accepted}"
        )
        return judge.findings
    if image.width is None or image.height is None:
        reason = image.error or f"{_shown(fmt)} is not a format ogedge can read"
        judge.add("warn", "image_unread", f"image size unknown: {reason}")
        return judge.findings
    _judge_size(judge, rule, image)
    if not any(f.level != "ok" for f in judge.findings):
        judge.add(
            "ok",
            "image_ok",
            f"image {_size(image.width, image.height)} {_shown(fmt)}, "
            f"{human_bytes(image.bytes or 0)}",
        )
    return judge.findings


def _over_cap(judge: _Judge, rule: ImageRule, cap: int) -> None:
    if rule.max_bytes is not None:
        judge.breach(
            "max_bytes",
            "image_too_heavy",
            f"image is over {human_bytes(cap - 1)}: {judge.platform.name} accepts at most "
            f"{human_bytes(rule.max_bytes)}",
        )
    else:
        judge.add(
            "warn",
            "image_unread",
            f"image is over {human_bytes(cap - 1)}, so it was not read to the end: "
            f"{judge.platform.name} publishes no limit, but such a file is slow to fetch",
        )


def _judge_size(judge: _Judge, rule: ImageRule, image: ImageReport) -> None:
    name = judge.platform.name
    w, h = image.width or 0, image.height or 0
    size = image.bytes or 0
    if rule.max_bytes is not None and size > rule.max_bytes:
        judge.breach(
            "max_bytes",
            "image_too_heavy",
            f"image is {human_bytes(size)}: {name} accepts at most {human_bytes(rule.max_bytes)}",
        )
    low = _bound(rule.min_width, rule.min_height, lambda lim, v: v < lim, w, h)
    if low is not None:
        judge.breach(
            f"min_{low}",
            "image_too_small",
            f"image is {_size(w, h)}: {name} needs at least "
            f"{_size(rule.min_width, rule.min_height)}",
        )
    high = _bound(rule.max_width, rule.max_height, lambda lim, v: v > lim, w, h)
    if high is not None:
        judge.breach(
            f"max_{high}",
            "image_too_large",
            f"image is {_size(w, h)}: {name} accepts at most "
            f"{_size(rule.max_width, rule.max_height)}",
        )
    if low is None and _bound(
        rule.recommended_width, rule.recommended_height, lambda lim, v: v < lim, w, h
    ):
        judge.add(
            "warn",
            "image_small",
            f"image is {_size(w, h)}: {name} recommends "
            f"{_size(rule.recommended_width, rule.recommended_height)} or more; it is shown smaller",
        )
    if rule.aspect is not None and h > 0:
        ratio = w / h
        if abs(ratio - rule.aspect) > rule.aspect * rule.aspect_tolerance:
            judge.add(
                "warn",
                "image_aspect",
                f"image is {ratio:.2f}:1 ({_size(w, h)}): {name} shows {rule.aspect:g}:1, "
                "so it is cropped or letterboxed",
            )


def _bound(
    lim_w: int | None,
    lim_h: int | None,
    broken: Callable[[int, int], bool],
    w: int,
    h: int,
) -> str | None:
    """The first dimension ("width" or "height") that breaks its limit, or None."""
    if lim_w is not None and broken(lim_w, w):
        return "width"
    if lim_h is not None and broken(lim_h, h):
        return "height"
    return None
