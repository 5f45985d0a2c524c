"""Fetching the images a page names, once each, and reading what they are.

A bounded full GET through the guarded client: reading only a header's worth of bytes would
need Range requests, which many image hosts and CDNs ignore or answer wrongly, and the byte
size is itself a rule. The cap is one byte over the largest `max_bytes` of any platform, so an
image cut at the cap is over every platform's limit and needs no exact size.
"""

from __future__ import annotations

import asyncio

from proxy.check.report import ImageReport
from proxy.check.rules import Platform
from proxy.netguard import FetchError, GuardedClient, TooLarge
from renderer.probe import probe_image

__all__ = ["fetch_image", "image_cap"]

# Used when no platform names a byte limit: enough for any real card.
_DEFAULT_CAP = 8 * 1024 * 1024


def image_cap(platforms: tuple[Platform, ...]) -> int:
    limits = [
        rule.max_bytes for p in platforms for rule in p.image.values() if rule.max_bytes is not None
    ]
    return max(limits) + 1 if limits else _DEFAULT_CAP


async def fetch_image(client: GuardedClient, url: str, cap: int) -> ImageReport:
    try:
        # Any media type: a wrong Content-Type is a finding to report, not a fetch to refuse.
        answer = await client.fetch(url, max_bytes=cap, accept=())
    except TooLarge:
        # Raised whatever the status: past the cap, the answer is too large for anyone.
        return ImageReport(url=url, bytes=cap, over_limit=True)
    except FetchError as exc:
        return ImageReport(url=url, error=exc.message)
    if answer.status != 200:
        return ImageReport(url=url, status=answer.status, content_type=answer.content_type or None)
    # Header parsing is quick but it is libvips on untrusted bytes: off the event loop.
    info = await asyncio.to_thread(probe_image, answer.body)
    return ImageReport(
        url=url,
        status=200,
        content_type=answer.content_type or None,
        bytes=len(answer.body),
        format=info.format,
        width=info.width,
        height=info.height,
        error=info.error,
    )
