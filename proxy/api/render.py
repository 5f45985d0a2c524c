"""POST /api/v2/render (ogmint-style): fields in, a stored card and its /i/<slug> URL out.

Authenticate -> per-key rate limit -> validate the spec -> derive the slug (dedup: a stored
spec record means the card exists) -> monthly quota (new renders only) -> assets -> render in
the bounded pool -> publish -> 201. The image is stored before the answer, so the URL is warm.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from litestar import Request, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.response import Response

import renderer
from proxy.api.custom_templates import is_custom
from proxy.api.produce import counted, render_and_store
from proxy.api.runtime import ApiRuntime
from proxy.api.schemas import RenderRequest, RenderResult, error_responses
from proxy.records import spec_key
from proxy.slugs import derive_slug
from proxy.storage.base import ObjectNotFound
from proxy.webhooks import (
    QueueFull,
    QueueUnavailable,
    check_webhook_url,
    new_delivery,
    render_completed,
    secret_key,
)

__all__ = ["MAX_BODY_BYTES", "render_card"]

MAX_BODY_BYTES = 64 * 1024
log = logging.getLogger("ogedge.api")


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
    request: Request[Any, Any, Any], data: JSONBody[RenderRequest]
) -> Response[RenderResult]:
    api: ApiRuntime = request.app.state.api
    key = await api.auth.authenticate(request.headers)
    project = api.auth.authorize(key, None)
    await api.key_limits.check(key)

    custom = await _custom(api, project, data.template)
    template = custom[0] if custom else None
    spec = renderer.normalize(data.spec(), template)
    # Checked before any work: a request whose webhook cannot be delivered is a 400.
    webhook = _webhook(api, data)
    spec_hash = renderer.spec_hash(spec, template)
    revision = await api.revisions.current(project, spec_hash)
    slug = derive_slug(api.secret, project, spec_hash, revision)

    if await _exists(api, slug):
        dispatched = await _notify(api, webhook, slug, spec, data.metadata, cached=True)
        result = RenderResult(True, slug, api.image_url(slug), dispatched, cached=True)
        return Response(result, status_code=200)

    async with counted(api, project):
        assets: dict[str, bytes] = {}
        asset_keys: dict[str, str] = {}
        for field in ("avatar", "logo"):
            value = getattr(spec, field)
            if value:
                assets[field], asset_keys[field] = await api.assets.resolve(field, value)
        if custom is not None:
            # Kept content-addressed with the card, so an on-demand render can reproduce it
            # even after the template is deleted.
            asset_keys["template"] = await api.assets.keep(custom[1])
        await render_and_store(
            api,
            slug=slug,
            project=project,
            spec=spec,
            revision=revision,
            assets=assets,
            asset_keys=asset_keys,
            template=template,
        )
    dispatched = await _notify(api, webhook, slug, spec, data.metadata, cached=False)
    return Response(RenderResult(True, slug, api.image_url(slug), dispatched), status_code=201)


async def _custom(
    api: ApiRuntime, project: str, name: str
) -> tuple[renderer.Template, bytes] | None:
    """The project's custom template and its TOML, or None for a built-in."""
    if not is_custom(name):
        return None
    record = await api.templates.get(project, name)
    return api.templates.parsed(record), record.toml.encode()


def _webhook(api: ApiRuntime, data: RenderRequest) -> tuple[str, bytes] | None:
    if not data.webhook_url:
        return None
    url = check_webhook_url(data.webhook_url, api.webhook_allow_http, api.assets.client.policy)
    return url, secret_key(data.webhook_secret)


async def _notify(
    api: ApiRuntime,
    webhook: tuple[str, bytes] | None,
    slug: str,
    spec: renderer.RenderSpec,
    metadata: dict[str, Any] | None,
    cached: bool,
) -> bool:
    """Queue a `render.completed` event; False when none was asked for or it could not be queued."""
    if webhook is None:
        return False
    url, key = webhook
    payload = render_completed(
        slug=slug,
        url=api.image_url(slug),
        template=spec.template,
        kind=spec.kind,
        metadata=metadata,
        created_at=datetime.now(UTC),
        cached=cached,
    )
    try:
        await api.outbox.enqueue(new_delivery(url, key, payload))
    except (QueueUnavailable, QueueFull) as exc:
        log.warning("webhook for %s not queued: %s", slug, exc)
        return False
    return True


async def _exists(api: ApiRuntime, slug: str) -> bool:
    try:
        await api.storage.head(spec_key(slug))
    except ObjectNotFound:
        return False
    return True
