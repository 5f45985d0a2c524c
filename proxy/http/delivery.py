"""Which rendering of a card a request gets: crawlers and browsers want different things.

- A social crawler (crawlers.toml, by User-Agent) always gets PNG or JPEG, within its
  platform's byte budget: the stored card when it fits, else the card's JPEG variant, which is
  rendered to fit the smallest budget in the table.
- Any other client whose Accept lists `image/avif` or `image/webp` (RFC 9110 §12.5.1, q > 0)
  may get that variant, when the deployment allows the format (OGEDGE_DELIVERY_FORMATS).
- Variants are rendered once from the stored spec and kept beside the original; responses say
  `Vary: Accept` while negotiation is on. Classifications are cached per header value, since a
  few User-Agent and Accept strings make up almost all traffic.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import msgspec
from cachetools import LRUCache

from proxy.records import ImageMeta

__all__ = ["Crawler", "DeliveryPolicy", "load_crawlers"]

_NEGOTIABLE = ("avif", "webp")  # in order of preference when both are accepted
_CRAWLER_SAFE = frozenset({"image/png", "image/jpeg"})
_NO_CRAWLER = object()


class Crawler(msgspec.Struct, frozen=True):
    name: str
    tokens: tuple[str, ...]
    max_bytes: int


def load_crawlers() -> tuple[Crawler, ...]:
    raw = tomllib.loads(resources.files("proxy.http").joinpath("crawlers.toml").read_text())
    return tuple(msgspec.convert({"name": name, **entry}, Crawler) for name, entry in raw.items())


def _accepted(accept: str) -> frozenset[str]:
    """The negotiable image types an Accept header admits (q > 0), e.g. {"webp"}."""
    found = set()
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        if not media.startswith("image/") or media[6:] not in _NEGOTIABLE:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            found.add(media[6:])
    return frozenset(found)


class DeliveryPolicy:
    def __init__(self, formats: tuple[str, ...], crawlers: tuple[Crawler, ...]) -> None:
        self.formats = tuple(f for f in _NEGOTIABLE if f in formats)
        self.negotiates = bool(self.formats)
        self.crawlers = crawlers
        self._lowered = [(c, [t.lower() for t in c.tokens]) for c in crawlers]
        self._by_agent: LRUCache[str, object] = LRUCache(maxsize=4096)
        self._by_accept: LRUCache[str, frozenset[str]] = LRUCache(maxsize=1024)
        self.budget = min((c.max_bytes for c in crawlers), default=5_000_000)

    def crawler(self, user_agent: str | None) -> Crawler | None:
        if not user_agent:
            return None
        found = self._by_agent.get(user_agent)
        if found is None:
            lowered = user_agent.lower()
            found = next(
                (c for c, tokens in self._lowered if any(t in lowered for t in tokens)),
                _NO_CRAWLER,
            )
            self._by_agent[user_agent] = found
        return found if isinstance(found, Crawler) else None

    def choose(self, meta: ImageMeta, crawler: Crawler | None, accept: str | None) -> str | None:
        """The variant format to serve instead of the stored card, or None for the card."""
        if crawler is not None:
            if meta.content_type in _CRAWLER_SAFE and meta.size <= crawler.max_bytes:
                return None
            return "jpeg"
        if not self.negotiates:
            return None
        accepted = self._by_accept.get(accept or "")
        if accepted is None:
            accepted = self._by_accept[accept or ""] = _accepted(accept or "")
        for fmt in self.formats:
            if fmt in accepted:
                return None if meta.content_type == f"image/{fmt}" else fmt
        if meta.content_type in _CRAWLER_SAFE:
            return None
        return "jpeg"  # a WebP or AVIF card for a client that takes neither
