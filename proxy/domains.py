"""Each project's allow-list of page hosts for the meta-tag URL mode (`GET /og/<project>?url=`):
anyone may ask for a card of a page on a listed host, with no signature, so the list is what
keeps the mode from rendering (and storing, and charging the quota for) arbitrary pages.

Hosts match exactly: `example.com` does not admit `blog.example.com` (list it too). Stored as
one marker per host (proxy/storage/index.py); read through a short per-worker cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from cachetools import TTLCache

from proxy import layout
from proxy.errors import Forbidden, InvalidInput
from proxy.keys.model import check_project
from proxy.storage.base import Storage
from proxy.storage.index import StoredIndex

__all__ = ["AllowedDomains", "HostNotAllowed", "normalize_host"]


class HostNotAllowed(Forbidden):
    code = "host_not_allowed"


def normalize_host(host: str) -> str:
    """Lower case, IDNA (punycode), no trailing dot; InvalidInput for what is not a host name."""
    value = host.strip().rstrip(".").lower()
    if "://" in value:
        value = urlsplit(value).hostname or ""
    try:
        value = value.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidInput(f"{host!r} is not a host name", "host") from exc
    labels = value.split(".")
    if (
        not value
        or len(value) > 253
        or any(
            not label or len(label) > 63 or not all(c.isalnum() or c == "-" for c in label)
            for label in labels
        )
    ):
        raise InvalidInput(f"{host!r} is not a host name", "host")
    return value


class AllowedDomains:
    def __init__(
        self, storage: Storage, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._index = StoredIndex(storage, layout.domains("").rstrip("/"))
        self._cache: TTLCache[str, frozenset[str]] = TTLCache(10_000, ttl, timer=clock)

    async def allow(self, project: str, host: str) -> str:
        normal = normalize_host(host)
        await self._index.add(check_project(project), normal)
        self._cache.pop(project, None)
        return normal

    async def disallow(self, project: str, host: str) -> str:
        normal = normalize_host(host)
        await self._index.remove(check_project(project), normal)
        self._cache.pop(project, None)
        return normal

    async def list(self, project: str) -> list[str]:
        return await self._index.entries(check_project(project))

    async def check(self, project: str, url: str) -> None:
        """HostNotAllowed unless the page's host is on the project's list."""
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
        hosts = self._cache.get(project)
        if hosts is None:
            hosts = self._cache[project] = frozenset(await self.list(project))
        try:
            normal = normalize_host(host) if host else ""
        except InvalidInput:
            normal = ""
        if normal not in hosts:
            raise HostNotAllowed(
                f"{host or url!r} is not on project {project!r}'s allow-list "
                "(ogedge projects allow-domain)",
                "url",
            )
