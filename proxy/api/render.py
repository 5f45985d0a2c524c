"""POST /api/v2/render (ogmint-style): fields in, the URL of a stored card out.

Authenticate -> per-key limit -> plan the card (template built-in or the project's own,
normalise, slug = HMAC of project + spec hash + revision) -> webhook checked -> an existing
card answers 200 `cached: true`, else it is made (quota, assets, render, store) -> 201. The
image is stored before the answer, so the URL is warm. Signed render URLs go through the same
recipe (proxy/field_cards.py).
"""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Response

from proxy.api.schemas import MAX_BODY_BYTES, RenderRequest, RenderResult, error_responses
from proxy.field_cards import FieldCards
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
    field_cards: NamedDependency[FieldCards],
    notifier: NamedDependency[Notifier],
) -> Response[RenderResult]:
    key = await auth.authenticate(request.headers)
    project = auth.authorize(key, None)
    await key_limits.check(key)
    card = await field_cards.plan(project, data.spec())
    # Checked before any work: a request whose webhook cannot be delivered is a 400.
    webhook = notifier.target(data.webhook_url, data.webhook_secret)
    _, made = await field_cards.make(card)
    url = field_cards.cards.image_url(card.slug)
    dispatched = await notifier.render_completed(
        webhook,
        slug=card.slug,
        image_url=url,
        template=card.spec.template,
        kind=card.spec.kind,
        metadata=data.metadata,
        cached=not made,
        project=project,
    )
    result = RenderResult(True, card.slug, url, dispatched, cached=not made)
    return Response(result, status_code=201 if made else 200)
