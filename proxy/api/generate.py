"""POST /images/generate (OGStack-style): a page URL in, a card of that page out.

Authenticate -> project -> per-key limit -> cache key (project, url, kind, template, style) ->
slug (a stored record answers `cached: true` unless `force`) -> quota -> fetch the page through
the guarded client -> extract title, description, favicon, image, site name, theme colour ->
fetch favicon and image (best effort) -> render -> publish.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson
from litestar import Request, post
from litestar.params import JSONBody
from litestar.response import Response

import renderer
from proxy.api.produce import counted, render_and_store
from proxy.api.runtime import ApiRuntime
from proxy.api.schemas import GenerateRequest, GenerateResult, Source, error_responses
from proxy.http.errors import ApiError
from proxy.netguard import FetchError
from proxy.records import SpecRecord
from proxy.scrape import PageMeta, decode_html, extract
from proxy.slugs import derive_slug
from proxy.storage.base import ObjectNotFound

__all__ = ["generate_image"]

_HTML = ("text/html", "application/xhtml+xml")


@post(
    "/images/generate",
    request_max_body_size=64 * 1024,
    status_code=200,
    summary="Render a card for a page URL (cached per project, url, kind, template, style)",
    responses=error_responses(400, 401, 403, 404, 413, 422, 429, 503),
)
async def generate_image(
    request: Request[Any, Any, Any], data: JSONBody[GenerateRequest]
) -> Response[GenerateResult]:
    started = time.perf_counter()
    api: ApiRuntime = request.app.state.api
    body = data
    key = await api.auth.authenticate(request.headers)
    project = api.auth.authorize(key, body.project_id)
    await api.key_limits.check(key)
    if body.url.split(":", 1)[0].lower() not in {"http", "https"}:
        raise ApiError(400, "invalid_field", "url must be an http(s) URL", "url")

    identity = orjson.dumps([body.url, body.kind, body.template, body.style or ""])
    cache_key = hashlib.sha256(identity).hexdigest()
    if body.force:
        revision = await api.revisions.advance(project, cache_key)
    else:
        revision = await api.revisions.current(project, cache_key)
    slug = derive_slug(api.secret, project, "page:" + cache_key, revision)
    if not body.force:
        record = await _record(api, slug)
        if record is not None:
            return Response(_result(api, record, cached=True, ms=None))

    async with counted(api, project):
        page = await _page(api, body.url)
        assets, asset_keys = await _page_assets(api, page)
        spec = renderer.normalize(
            renderer.RenderSpec(
                template=body.template,
                kind=body.kind,
                title=page.title or page.site_name or body.url,
                description=page.description or "",
                tag=page.site_name or "",
                palette=body.style or "",
                accent_color=page.theme_color or "",
            )
        )
        source = {
            k: v
            for k, v in (
                ("title", page.title),
                ("description", page.description),
                ("favicon", page.favicon),
                ("image", page.image),
            )
            if v
        }
        record = await render_and_store(
            api,
            slug=slug,
            project=project,
            spec=spec,
            revision=revision,
            assets=assets,
            asset_keys=asset_keys,
            source=source,
        )
    ms = int((time.perf_counter() - started) * 1000)
    return Response(_result(api, record, cached=False, ms=ms))


async def _page(api: ApiRuntime, url: str) -> PageMeta:
    try:
        page = await api.assets.client.fetch(url, max_bytes=api.max_page_bytes, accept=_HTML)
    except FetchError as exc:
        raise ApiError(422, "unusable_page", f"cannot use this page: {exc.message}", "url") from exc
    if page.status != 200:
        raise ApiError(422, "unusable_page", f"the page answered HTTP {page.status}", "url")
    return extract(decode_html(page.body, page.charset), page.final_url)


async def _page_assets(api: ApiRuntime, page: PageMeta) -> tuple[dict[str, bytes], dict[str, str]]:
    """Favicon and page image are decoration: one that cannot be fetched is left out."""
    data: dict[str, bytes] = {}
    keys: dict[str, str] = {}
    for role, url in (("favicon", page.favicon), ("page_image", page.image)):
        if not url:
            continue
        try:
            data[role], keys[role] = await api.assets.resolve(role, url)
        except ApiError:
            continue
    return data, keys


async def _record(api: ApiRuntime, slug: str) -> SpecRecord | None:
    try:
        return await api.catalog.read_record(slug)
    except ObjectNotFound:
        return None


def _result(api: ApiRuntime, record: SpecRecord, cached: bool, ms: int | None) -> GenerateResult:
    kind = str(record.spec.get("kind", "og"))
    width, height = renderer.KINDS[kind]
    src = record.source
    return GenerateResult(
        id=record.slug,
        image_url=api.image_url(record.slug),
        kind=kind,
        width=width,
        height=height,
        cached=cached,
        generation_ms=ms,
        ai=None,
        source=Source(src.get("title"), src.get("description"), src.get("favicon")),
        assets={"favicon": src.get("favicon"), "image": src.get("image")},
    )
