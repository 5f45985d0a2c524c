"""Templates API: the built-in templates and the project's own, uploads, and previews.

GET /api/v2/templates, POST /api/v2/templates, GET and DELETE /api/v2/templates/{id}, and
GET /api/v2/templates/{id}/preview.png (a sample card, public so it can sit in an <img>).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from cachetools import LRUCache
from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Response

import renderer
from proxy.api.schemas import error_responses
from proxy.custom_templates import MAX_TOML_BYTES, CustomTemplate, CustomTemplates, is_custom
from proxy.errors import Forbidden, InvalidInput
from proxy.keys import Authenticator
from proxy.render_pool import RenderPool

__all__ = [
    "delete_template",
    "get_template",
    "list_templates",
    "preview_template",
    "upload_template",
]

_SAMPLE = renderer.RenderSpec(
    title="Your title here, on one line or two",
    description="A description of the page.",
    tag="Preview",
    author="Ada Lovelace",
)
_previews: LRUCache[tuple[str, str], bytes] = LRUCache(maxsize=64)


class TemplateInfo(msgspec.Struct, rename="camel"):
    id: str
    title: str
    description: str
    fields: list[str]
    kinds: list[str]
    custom: bool
    preview_url: str
    toml: str | None = None


class TemplateList(msgspec.Struct):
    success: bool
    templates: list[TemplateInfo]
    palettes: list[str]
    fonts: list[str]


class TemplateUpload(msgspec.Struct, kw_only=True):
    toml: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TOML_BYTES)]
    title: Annotated[str, msgspec.Meta(max_length=100)] = ""


class TemplateResult(msgspec.Struct):
    success: bool
    template: TemplateInfo


def _info(
    public_url: str, template: renderer.Template, custom: CustomTemplate | None
) -> TemplateInfo:
    return TemplateInfo(
        id=template.name,
        title=custom.title if custom else template.title,
        description=template.description,
        fields=list(template.fields),
        kinds=list(renderer.KINDS),
        custom=custom is not None,
        preview_url=f"{public_url.rstrip('/')}/api/v2/templates/{template.name}/preview.png",
        toml=custom.toml if custom else None,
    )


async def _project(request: Request[Any, Any, Any], auth: Authenticator) -> str:
    key = await auth.authenticate(request.headers)
    return auth.authorize(key, request.query_params.get("projectId"))


@get(
    "/api/v2/templates",
    summary="Built-in and this project's templates",
    responses=error_responses(401, 403, 503),
)
async def list_templates(
    request: Request[Any, Any, Any],
    auth: NamedDependency[Authenticator],
    templates: NamedDependency[CustomTemplates],
    public_url: NamedDependency[str],
) -> TemplateList:
    project = await _project(request, auth)
    infos = [
        _info(public_url, renderer.template_info(n), None) for n in renderer.available_templates()
    ]
    for custom in await templates.list(project):
        infos.append(_info(public_url, templates.parsed(custom), custom))
    return TemplateList(True, infos, renderer.available_palettes(), renderer.available_fonts())


@post(
    "/api/v2/templates",
    status_code=201,
    request_max_body_size=64 * 1024,
    summary="Upload a custom template (TOML, validated; errors name the key)",
    responses=error_responses(400, 401, 403, 413, 503),
)
async def upload_template(
    request: Request[Any, Any, Any],
    data: JSONBody[TemplateUpload],
    auth: NamedDependency[Authenticator],
    templates: NamedDependency[CustomTemplates],
    public_url: NamedDependency[str],
) -> TemplateResult:
    project = await _project(request, auth)
    custom = await templates.upload(project, data.toml, data.title)
    return TemplateResult(True, _info(public_url, templates.parsed(custom), custom))


@get(
    "/api/v2/templates/{template_id:str}",
    summary="One template",
    responses=error_responses(401, 403, 404, 503),
)
async def get_template(
    request: Request[Any, Any, Any],
    template_id: FromPath[str],
    auth: NamedDependency[Authenticator],
    templates: NamedDependency[CustomTemplates],
    public_url: NamedDependency[str],
) -> TemplateResult:
    project = await _project(request, auth)
    if is_custom(template_id):
        custom = await templates.get(project, template_id)
        return TemplateResult(True, _info(public_url, templates.parsed(custom), custom))
    return TemplateResult(True, _info(public_url, renderer.template_info(template_id), None))


@delete(
    "/api/v2/templates/{template_id:str}",
    status_code=204,
    summary="Delete a custom template",
    responses=error_responses(401, 403, 404, 503),
)
async def delete_template(
    request: Request[Any, Any, Any],
    template_id: FromPath[str],
    auth: NamedDependency[Authenticator],
    templates: NamedDependency[CustomTemplates],
) -> None:
    project = await _project(request, auth)
    if not is_custom(template_id):
        renderer.template_info(template_id)  # 404 for names that are not templates at all
        raise Forbidden("built-in templates cannot be deleted", "template")
    await templates.delete(project, template_id)


@get(
    "/api/v2/templates/{template_id:str}/preview.png",
    summary="A sample card (PNG)",
    media_type="image/png",
    responses=error_responses(400, 404, 503),
)
async def preview_template(
    template_id: FromPath[str],
    templates: NamedDependency[CustomTemplates],
    pool: NamedDependency[RenderPool],
    kind: FromQuery[str] = "og",
) -> Response[bytes]:
    if kind not in renderer.KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(renderer.KINDS)}", "kind")
    template = (
        await templates.template(None, template_id)
        if is_custom(template_id)
        else renderer.template_info(template_id)
    )
    cache_key = (template.version, kind)
    data = _previews.get(cache_key)
    if data is None:
        spec = msgspec.structs.replace(_SAMPLE, template=template.name, kind=kind)
        data = (await pool.run(renderer.render, spec, None, template=template)).data
        _previews[cache_key] = data
    return Response(data, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
