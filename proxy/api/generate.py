"""POST /images/generate (OGStack-style): a page URL in, a card of that page out.

Authenticate -> project -> per-key limit -> cache key (project, url, kind, template, style) ->
slug (an existing card answers `cached: true` unless `force`) -> the card is made: quota, fetch
the page through the guarded client, extract title, description, favicon, image, site name,
theme colour, fetch favicon and image (best effort: one that cannot be fetched or decoded is
left out and `assetsOmitted` says why), render, store.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Response

import renderer
from proxy.api.schemas import (
    MAX_BODY_BYTES,
    GenerateRequest,
    GenerateResult,
    Source,
    error_responses,
)
from proxy.assets import AssetResolver
from proxy.cards import Cards, Prepared
from proxy.errors import ServiceError
from proxy.keys import Authenticator
from proxy.limits.key_limiter import KeyLimiter
from proxy.pages import PageReader, check_page_url
from proxy.records import SpecRecord

__all__ = ["generate_image", "page_identity"]

_OPTIONAL = frozenset({"favicon", "page_image"})


def page_identity(url: str, kind: str, template: str, style: str) -> str:
    """The cache key of a page card within a project (the slug is derived from it)."""
    return "page:" + hashlib.sha256(orjson.dumps([url, kind, template, style])).hexdigest()


@post(
    "/images/generate",
    request_max_body_size=MAX_BODY_BYTES,
    status_code=200,
    summary="Render a card for a page URL (cached per project, url, kind, template, style)",
    responses=error_responses(400, 401, 403, 404, 413, 422, 429, 503),
)
async def generate_image(
    request: Request[Any, Any, Any],
    data: JSONBody[GenerateRequest],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    cards: NamedDependency[Cards],
    pages: NamedDependency[PageReader],
    assets: NamedDependency[AssetResolver],
) -> Response[GenerateResult]:
    started = time.perf_counter()
    key = await auth.authenticate(request.headers)
    project = auth.authorize(key, data.project_id)
    await key_limits.check(key)
    check_page_url(data.url)
    renderer.template_info(data.template)  # 404 before any fetch for an unknown template
    identity = page_identity(data.url, data.kind, data.template, data.style or "")
    slug, revision = await cards.slug_for(project, identity, force=data.force)

    async def prepare() -> Prepared:
        page = await pages.read(data.url)
        spec = renderer.normalize(
            renderer.RenderSpec(
                template=data.template,
                kind=data.kind,
                title=page.title or page.site_name or data.url,
                description=page.description or "",
                tag=page.site_name or "",
                palette=data.style or "",
                accent_color=page.theme_color or "",
            )
        )
        prepared = Prepared(spec, optional=_OPTIONAL)
        for role, url in (("favicon", page.favicon), ("page_image", page.image)):
            if url:
                prepared.source[role] = url
                try:
                    prepared.assets[role], prepared.asset_keys[role] = await assets.resolve(
                        role, url
                    )
                except ServiceError as exc:  # decoration: a card without it beats no card
                    prepared.source[f"{role}_omitted"] = exc.message
        for name, value in (("title", page.title), ("description", page.description)):
            if value:
                prepared.source[name] = value
        return prepared

    record, made = await cards.make(
        slug=slug, project=project, revision=revision, template=None, prepare=prepare
    )
    ms = int((time.perf_counter() - started) * 1000) if made else None
    return Response(_result(cards, record, cached=not made, ms=ms))


def _result(cards: Cards, record: SpecRecord, cached: bool, ms: int | None) -> GenerateResult:
    kind = str(record.spec.get("kind", "og"))
    width, height = renderer.KINDS[kind]
    src = record.source
    omitted = {
        name: src[f"{role}_omitted"]
        for role, name in (("favicon", "favicon"), ("page_image", "image"))
        if f"{role}_omitted" in src
    }
    return GenerateResult(
        id=record.slug,
        image_url=cards.image_url(record.slug),
        kind=kind,
        width=width,
        height=height,
        cached=cached,
        generation_ms=ms,
        ai=None,
        source=Source(src.get("title"), src.get("description"), src.get("favicon")),
        assets={
            "favicon": None if "favicon" in omitted else src.get("favicon"),
            "image": None if "image" in omitted else src.get("page_image"),
        },
        assets_omitted=omitted,
    )
