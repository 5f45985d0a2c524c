"""robots.txt of a page's origin, fetched once through the guarded client and asked, for each
platform's crawler token, whether it may fetch the page (and the page's image).

The states follow RFC 9309 §2.3.1: a 4xx answer means no rules (everything allowed); a 5xx or no
answer means a crawler "MUST assume complete disallow". Rules are read by urllib.robotparser,
which matches a group when its token is contained in the crawler's name (so a "Slackbot" group
applies to Slackbot-LinkExpanding) and takes the first matching rule, where RFC 9309 takes the
longest: an edge case that real robots.txt files rarely reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from proxy.check.report import RobotsReport
from proxy.netguard import FetchError, GuardedClient, TooLarge

__all__ = ["ROBOTS_MAX_BYTES", "Robots", "fetch_robots", "robots_url", "same_origin"]

#: RFC 9309 §2.5: crawlers must read at least 500 KiB; a larger file is not read at all here.
ROBOTS_MAX_BYTES = 500 * 1024


@dataclass(frozen=True, slots=True)
class Robots:
    report: RobotsReport
    parser: RobotFileParser | None = None

    def allows(self, token: str, url: str) -> bool | None:
        """Whether `token` may fetch `url`: True, False, or None when the rules were not read."""
        state = self.report.state
        if state == "missing":
            return True
        if state == "unreachable":
            return False
        if self.parser is None:
            return None
        return self.parser.can_fetch(token, url)


def robots_url(page_url: str) -> str:
    parts = urlsplit(page_url)
    return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


async def fetch_robots(client: GuardedClient, page_url: str) -> Robots:
    url = robots_url(page_url)
    try:
        # Any media type: servers send robots.txt as text/plain, octet-stream or nothing.
        answer = await client.fetch(url, max_bytes=ROBOTS_MAX_BYTES, accept=())
    except TooLarge:
        reason = f"robots.txt is over {ROBOTS_MAX_BYTES // 1024} KiB; not read"
        return Robots(RobotsReport(url=url, state="unread", error=reason))
    except FetchError as exc:
        return Robots(RobotsReport(url=url, state="unreachable", error=exc.message))
    if 400 <= answer.status < 500:
        return Robots(RobotsReport(url=url, state="missing", status=answer.status))
    if answer.status != 200:
        return Robots(RobotsReport(url=url, state="unreachable", status=answer.status))
    parser = RobotFileParser(url)
    # RFC 9309 §2.2: UTF-8; bytes that are not become U+FFFD and match nothing.
    parser.parse(answer.body.decode("utf-8", errors="replace").splitlines())
    return Robots(RobotsReport(url=url, state="found", status=200), parser)
