"""What an `/og/` URL names: the slug of its card, made on the first request.

- `/og/<project>/<template>?<fields>&sig=…[&expires=…]`: a signed render URL. The signature
  is checked before anything is rendered or read (proxy/signing), then the fields become the
  same card `POST /api/v2/render` makes for that project (proxy/field_cards.py).
- `/og/<project>?url=<page>[&template=&kind=&style=]`: the meta-tag URL mode, for pages on the
  project's allow-list (proxy/domains.py); the same card `POST /images/generate` makes
  (proxy/page_cards.py). The page URL's query string is part of its identity, its fragment is
  not.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit, urlunsplit

import msgspec

import renderer
from proxy.domains import AllowedDomains
from proxy.errors import InvalidInput, NotFound
from proxy.field_cards import FieldCards
from proxy.keys.model import check_project
from proxy.page_cards import PageCards
from proxy.signing import Verifier

__all__ = ["FIELD_PARAMS", "OgLinks", "parse_query"]

# The render fields a signed URL may carry: the JSON names of POST /api/v2/render.
FIELD_PARAMS = frozenset(
    {
        "title", "description", "tag", "author", "avatar", "logo", "font", "palette",
        "backgroundColor", "textColor", "accentColor", "kind", "format", "dpr",
    }
)  # fmt: skip
_SIGNING_PARAMS = frozenset({"sig", "expires"})
_PAGE_PARAMS = frozenset({"url", "template", "kind", "style", "dpr"})
_MAX_QUERY = 8192


def parse_query(query: bytes) -> dict[str, str]:
    """Decoded parameters, each at most once. Raises InvalidInput."""
    if len(query) > _MAX_QUERY:
        raise InvalidInput(f"the query string is over {_MAX_QUERY} bytes", "query")
    try:
        pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeError, ValueError) as exc:
        raise InvalidInput(f"the query string is not valid: {exc}", "query") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise InvalidInput(f"{name} is given twice", name)
        params[name] = value
    return params


class OgLinks:
    def __init__(
        self,
        field_cards: FieldCards,
        page_cards: PageCards,
        verifier: Verifier,
        domains: AllowedDomains,
    ) -> None:
        self._fields = field_cards
        self._pages = page_cards
        self._verifier = verifier
        self._domains = domains

    async def slug(self, path: str, query: bytes) -> tuple[str, float | None]:
        """The card's slug, made first if need be, and when the URL expires (None: never).
        Raises domain errors (403 for a bad signature or host, 400 for bad fields, 404 for
        an unknown template, 429 over quota)."""
        parts = path.split("/")  # "", "og", project[, template]
        if len(parts) not in (3, 4) or not parts[2] or (len(parts) == 4 and not parts[3]):
            raise NotFound("no such card URL: /og/<project>/<template>?… or /og/<project>?url=…")
        try:
            project = check_project(parts[2])
        except InvalidInput as exc:
            raise NotFound(str(exc), "project") from exc
        params = parse_query(query)
        if len(parts) == 4:
            slug = await self._signed(project, parts[3], path, params)
            expires = params.get("expires")
            return slug, float(expires) if expires else None
        return await self._page(project, params), None

    async def _signed(self, project: str, template: str, path: str, params: dict[str, str]) -> str:
        await self._verifier.verify(project, path, params)
        unknown = sorted(set(params) - FIELD_PARAMS - _SIGNING_PARAMS)
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}", unknown[0])
        fields = {k: v for k, v in params.items() if k in FIELD_PARAMS}
        try:
            # strict=False: query values are strings, and dpr is a number ("2" -> 2).
            spec = msgspec.convert(
                {**fields, "template": template}, renderer.RenderSpec, strict=False
            )
        except msgspec.ValidationError as exc:
            raise InvalidInput(str(exc), _field_of(exc)) from exc
        card = await self._fields.plan(project, spec)
        await self._fields.make(card)
        return card.slug

    async def _page(self, project: str, params: dict[str, str]) -> str:
        unknown = sorted(set(params) - _PAGE_PARAMS)
        if unknown:
            raise InvalidInput(f"unknown parameter {unknown[0]!r}", unknown[0])
        url = params.get("url", "")
        if not url:
            raise InvalidInput("url is required: the page to make a card of", "url")
        scheme, netloc, upath, uquery, _ = urlsplit(url)
        url = urlunsplit((scheme, netloc, upath or "/", uquery, ""))  # no fragment
        await self._domains.check(project, url)
        record, _ = await self._pages.make(
            project,
            url,
            kind=params.get("kind", "og"),
            template=params.get("template", "blog"),
            style=params.get("style", ""),
            dpr=_dpr(params.get("dpr", "1")),
        )
        return record.slug


def _dpr(value: str) -> int:
    if value not in ("1", "2"):
        raise InvalidInput("dpr must be 1 or 2", "dpr")
    return int(value)


def _field_of(exc: msgspec.ValidationError) -> str:
    # msgspec says "… - at `$.title`" or "Object missing required field `title`".
    message = str(exc)
    for marker in ("at `$.", "field `"):
        if marker in message:
            return message.split(marker, 1)[1].split("`", 1)[0].split(".", 1)[0]
    return "query"
