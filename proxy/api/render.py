"""POST /api/v2/render (ogmint-style): fields in, the URL of a stored card out.

Authenticate -> per-key limit -> template (built-in or the project's own) -> normalise ->
webhook checked -> slug (HMAC of project + spec hash + revision) -> an existing card answers
200 `cached: true` -> else the card is made (quota, assets, render, store) -> 201. The image is
stored before the answer, so the URL is warm.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Response

import renderer
from proxy.api.schemas import MAX_BODY_BYTES, RenderRequest, RenderResult, error_responses
from proxy.assets import AssetResolver
from proxy.cards import Cards, Prepared
from proxy.custom_templates import CustomTemplates, is_custom
from proxy.keys import Authenticator
from proxy.limits.key_limiter import KeyLimiter
from proxy.webhooks.notify import Notifier

__all__ = ["render_card"]


@post(
    "/api/v2/render",
    request_max_body_size=MAX_BODY_BYTES,
    status_code=201,
    summary="Render a card (deduplicated per project)",
    description="201 for a new card; 200 with cached=true for the same fields in the same project.",
    responses={
        200: ResponseSpec(RenderResult, description="already rendered (cached: true)"),
        **error_responses(400, 401, 403, 404, 413, 422, 429, 503),
    },
)
async def render_card(
    request: Request[Any, Any, Any],
    data: JSONBody[RenderRequest],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    cards: NamedDependency[Cards],
    templates: NamedDependency[CustomTemplates],
    assets: NamedDependency[AssetResolver],
    notifier: NamedDependency[Notifier],
) -> Response[RenderResult]:
    key = await auth.authenticate(request.headers)
    project = auth.authorize(key, None)
    await key_limits.check(key)

    custom = await templates.get(project, data.template) if is_custom(data.template) else None
    template = templates.parsed(custom) if custom else None
    spec = renderer.normalize(data.spec(), template)
    # Checked before any work: a request whose webhook cannot be delivered is a 400.
    webhook = notifier.target(data.webhook_url, data.webhook_secret)
    slug, revision = await cards.slug_for(project, renderer.spec_hash(spec, template))

    async def prepare() -> Prepared:
        prepared = Prepared(spec)
        for field in ("avatar", "logo"):
            value = getattr(spec, field)
            if value:
                prepared.assets[field], prepared.asset_keys[field] = await assets.resolve(
                    field, value
                )
        if custom is not None:
            # Kept content-addressed with the card, so an on-demand render can reproduce it
            # even after the template is deleted.
            prepared.asset_keys["template"] = await assets.keep(custom.toml.encode())
        return prepared

    _, made = await cards.make(
        slug=slug, project=project, revision=revision, template=template, prepare=prepare
    )
    url = cards.image_url(slug)
    dispatched = await notifier.render_completed(
        webhook,
        slug=slug,
        image_url=url,
        template=spec.template,
        kind=spec.kind,
        metadata=data.metadata,
        cached=not made,
        project=project,
    )
    result = RenderResult(True, slug, url, dispatched, cached=not made)
    return Response(result, status_code=201 if made else 200)
