"""A card of a page URL: the one recipe behind `POST /images/generate` and the meta-tag URL
mode (`GET /og/<project>?url=`), so both share one cache key (project, url, kind, template,
style) and one card.

The page is fetched and read only when the card is made: title, description, site name,
theme colour, favicon and image. Favicon and image are decoration: one that cannot be fetched
or decoded is left out (and `source` says why) rather than failing the card.
"""

from __future__ import annotations

import hashlib

import orjson

import renderer
from proxy.assets import AssetResolver
from proxy.cards import Cards, Prepared
from proxy.errors import ServiceError
from proxy.pages import PageReader, check_page_url
from proxy.records import SpecRecord

__all__ = ["PageCards", "page_identity"]

_OPTIONAL = frozenset({"favicon", "page_image"})


def page_identity(url: str, kind: str, template: str, style: str, dpr: int = 1) -> str:
    """The cache key of a page card within a project (the slug is derived from it). A 1x
    card's key has no dpr, as before there was one: stored cards keep their slugs."""
    parts: list[object] = [url, kind, template, style]
    if dpr != 1:
        parts.append(dpr)
    return "page:" + hashlib.sha256(orjson.dumps(parts)).hexdigest()


class PageCards:
    def __init__(self, cards: Cards, pages: PageReader, assets: AssetResolver) -> None:
        self.cards = cards
        self._pages = pages
        self._assets = assets

    async def make(
        self,
        project: str,
        url: str,
        *,
        kind: str = "og",
        template: str = "blog",
        style: str = "",
        dpr: int = 1,
        force: bool = False,
    ) -> tuple[SpecRecord, bool]:
        """Raises InvalidInput (url, kind), TemplateNotFound before any fetch; UnusablePage and
        the renderer's errors while making; QuotaExceeded, StateUnavailable, RenderBusy."""
        check_page_url(url)
        if kind not in renderer.KINDS:
            raise renderer.SpecError("kind", f"must be one of {', '.join(renderer.KINDS)}")
        renderer.template_info(template)  # 404 before any fetch for an unknown template
        if dpr not in renderer.DPRS:
            raise renderer.SpecError("dpr", "must be 1 or 2")
        identity = page_identity(url, kind, template, style, dpr)
        slug, revision = await self.cards.slug_for(project, identity, force=force)

        async def prepare() -> Prepared:
            page = await self._pages.read(url)
            spec = renderer.normalize(
                renderer.RenderSpec(
                    template=template,
                    kind=kind,  # type: ignore[arg-type]  # checked above
                    title=page.title or page.site_name or url,
                    description=page.description or "",
                    tag=page.site_name or "",
                    palette=style,
                    accent_color=page.theme_color or "",
                    dpr=dpr,  # type: ignore[arg-type]  # checked above
                )
            )
            prepared = Prepared(spec, optional=_OPTIONAL)
            for role, ref in (("favicon", page.favicon), ("page_image", page.image)):
                if ref:
                    prepared.source[role] = ref
                    try:
                        (
                            prepared.assets[role],
                            prepared.asset_keys[role],
                        ) = await self._assets.resolve(role, ref)
                    except ServiceError as exc:  # decoration: a card without it beats no card
                        prepared.source[f"{role}_omitted"] = exc.message
            for name, value in (("title", page.title), ("description", page.description)):
                if value:
                    prepared.source[name] = value
            return prepared

        return await self.cards.make(
            slug=slug, project=project, revision=revision, template=None, prepare=prepare
        )
