"""A page URL -> what it says about itself (title, description, favicon, image, site name, theme
colour), fetched through the guarded client and read by proxy/scrape. The Generate API and the
meta-tag URL mode both read pages here."""

from __future__ import annotations

from proxy.errors import InvalidInput, Unusable
from proxy.netguard import FetchError, GuardedClient
from proxy.scrape import PageMeta, decode_html, extract

__all__ = ["PageReader", "UnusablePage", "check_page_url"]

_HTML = ("text/html", "application/xhtml+xml")


class UnusablePage(Unusable):
    code = "unusable_page"


def check_page_url(url: str) -> str:
    if url.split(":", 1)[0].lower() not in {"http", "https"}:
        raise InvalidInput("url must be an http(s) URL", "url")
    return url


class PageReader:
    def __init__(self, client: GuardedClient, max_bytes: int) -> None:
        self._client = client
        self._max_bytes = max_bytes

    async def read(self, url: str) -> PageMeta:
        """Raises InvalidInput (not an http(s) URL) or UnusablePage."""
        check_page_url(url)
        try:
            page = await self._client.fetch(url, max_bytes=self._max_bytes, accept=_HTML)
        except FetchError as exc:
            raise UnusablePage(f"cannot use this page: {exc.message}", "url") from exc
        if page.status != 200:
            raise UnusablePage(f"the page answered HTTP {page.status}", "url")
        return extract(decode_html(page.body, page.charset), page.final_url)
