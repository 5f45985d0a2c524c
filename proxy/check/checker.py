"""check_page(url): how a page will look when shared, platform by platform.

Fetch the page (HTML only, capped), read its tags, then at the same time fetch the origin's
robots.txt once and each distinct image the platforms would take, once; then judge every
platform on those facts. Every fetch goes through the guarded client, so each is bounded by its
size cap and the client's timeouts, and the whole check by about two fetch deadlines.
"""

from __future__ import annotations

import asyncio

from proxy.check.evaluate import evaluate
from proxy.check.images import fetch_image, image_cap
from proxy.check.report import ImageReport, Report, worst
from proxy.check.robots import Robots, fetch_robots, same_origin
from proxy.check.rules import Platform, load_platforms
from proxy.check.tags import PageTags, read_tags
from proxy.netguard import FetchError, FetchResult, GuardedClient
from proxy.pages import UnusablePage, check_page_url
from proxy.scrape import decode_html

__all__ = ["PageChecker"]

_HTML = ("text/html", "application/xhtml+xml")


class PageChecker:
    def __init__(
        self,
        client: GuardedClient,
        max_page_bytes: int,
        platforms: tuple[Platform, ...] | None = None,
    ) -> None:
        self._client = client
        self._max_page_bytes = max_page_bytes
        self._platforms = platforms if platforms is not None else load_platforms()
        self._image_cap = image_cap(self._platforms)

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return self._platforms

    async def check_page(self, url: str) -> Report:
        """Raises InvalidInput (not an http(s) URL) or UnusablePage (the page cannot be read)."""
        check_page_url(url)
        page = await self._fetch_page(url)
        tags = read_tags(decode_html(page.body, page.charset), page.final_url)
        wanted = self._image_urls(tags)
        async with asyncio.TaskGroup() as group:
            robots_task = group.create_task(fetch_robots(self._client, url))
            image_tasks = [
                group.create_task(fetch_image(self._client, u, self._image_cap)) for u in wanted
            ]
        robots: Robots = robots_task.result()
        images: dict[str, ImageReport] = {t.result().url: t.result() for t in image_tasks}
        # Crawlers ask robots.txt about the URL they were given and each redirect they follow;
        # only the ones on the origin whose robots.txt was read can be answered.
        page_urls: tuple[str, ...] = (url,)
        if page.final_url != url and same_origin(url, page.final_url):
            page_urls += (page.final_url,)
        platforms = [
            evaluate(p, tags, robots, page_urls, images, self._image_cap) for p in self._platforms
        ]
        return Report(
            url=url,
            final_url=page.final_url,
            status=worst([p.status for p in platforms]),
            robots=robots.report,
            images=list(images.values()),
            platforms=platforms,
        )

    async def _fetch_page(self, url: str) -> FetchResult:
        try:
            page = await self._client.fetch(url, max_bytes=self._max_page_bytes, accept=_HTML)
        except FetchError as exc:
            raise UnusablePage(f"cannot check this page: {exc.message}", "url") from exc
        if page.status != 200:
            raise UnusablePage(f"the page answered HTTP {page.status}", "url")
        return page

    def _image_urls(self, tags: PageTags) -> list[str]:
        """Each distinct image URL some platform would take, in platform order."""
        urls: list[str] = []
        for platform in self._platforms:
            found = tags.first(platform.image_tags)
            url = tags.url(found[1]) if found else None
            if url is not None and url not in urls:
                urls.append(url)
        return urls
