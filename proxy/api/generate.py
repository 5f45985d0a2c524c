"""POST /images/generate (OGStack-style): a page URL in, a card of that page out.

Authenticate -> project -> per-key limit -> cache key (project, url, kind, template, style) ->
slug (an existing card answers `cached: true` unless `force`) -> the card is made: quota, fetch
the page through the guarded client, extract title, description, favicon, image, site name,
theme colour, fetch favicon and image (best effort: one that cannot be fetched or decoded is
left out and `assetsOmitted` says why), render, store.
"""

from __future__ import annotations

import time
from typing import Any

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
from proxy.cards import Cards
from proxy.keys import Authenticator
from proxy.limits.key_limiter import KeyLimiter
from proxy.page_cards import PageCards
from proxy.records import SpecRecord

__all__ = ["generate_image", "generate_result"]


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
    page_cards: NamedDependency[PageCards],
) -> Response[GenerateResult]:
    started = time.perf_counter()
    key = await auth.authenticate(request.headers)
    project = auth.authorize(key, data.project_id)
    await key_limits.check(key)
    record, made = await page_cards.make(
        project,
        data.url,
        kind=data.kind,
        template=data.template,
        style=data.style or "",
        dpr=data.dpr,
        force=data.force,
    )
    ms = int((time.perf_counter() - started) * 1000) if made else None
    return Response(generate_result(page_cards.cards, record, cached=not made, ms=ms))


def generate_result(
    cards: Cards, record: SpecRecord, cached: bool, ms: int | None
) -> GenerateResult:
    kind = str(record.spec.get("kind", "og"))
    dpr = 2 if record.spec.get("dpr") == 2 else 1
    width, height = (side * dpr for side in renderer.KINDS[kind])
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
