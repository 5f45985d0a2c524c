"""Templates API: the built-in templates and the project's own, uploads, and previews.

GET /api/v2/templates, POST /api/v2/templates, GET and DELETE /api/v2/templates/{id}, and
GET /api/v2/templates/{id}/preview.png (a sample card, public so it can sit in an <img>).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from cachetools import LRUCache
from litestar import Request, delete, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Response

import renderer
from proxy.api.custom_templates import CustomTemplate, is_custom
from proxy.api.runtime import ApiRuntime
from proxy.api.schemas import error_responses
from proxy.http.errors import ApiError

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
    toml: Annotated[str, msgspec.Meta(min_length=1, max_length=32 * 1024)]
    title: Annotated[str, msgspec.Meta(max_length=100)] = ""


class TemplateResult(msgspec.Struct):
    success: bool
    template: TemplateInfo


def _info(
    api: ApiRuntime, template: renderer.Template, custom: CustomTemplate | None
) -> TemplateInfo:
    return TemplateInfo(
        id=template.name,
        title=custom.title if custom else template.title,
        description=template.description,
        fields=list(template.fields),
        kinds=list(renderer.KINDS),
        custom=custom is not None,
        preview_url=f"{api.public_url.rstrip('/')}/api/v2/templates/{template.name}/preview.png",
        toml=custom.toml if custom else None,
    )


async def _project(request: Request[Any, Any, Any]) -> tuple[ApiRuntime, str]:
    api: ApiRuntime = request.app.state.api
    key = await api.auth.authenticate(request.headers)
    return api, api.auth.authorize(key, request.query_params.get("projectId"))


@get(
    "/api/v2/templates",
    summary="Built-in and this project's templates",
    responses=error_responses(401, 403, 503),
)
async def list_templates(request: Request[Any, Any, Any]) -> TemplateList:
    api, project = await _project(request)
    infos = [_info(api, renderer.template_info(n), None) for n in renderer.available_templates()]
    for custom in await api.templates.list(project):
        infos.append(_info(api, api.templates.parsed(custom), custom))
    return TemplateList(True, infos, renderer.available_palettes(), renderer.available_fonts())


@post(
    "/api/v2/templates",
    status_code=201,
    request_max_body_size=64 * 1024,
    summary="Upload a custom template (TOML, validated; errors name the key)",
    responses=error_responses(400, 401, 403, 413, 503),
)
async def upload_template(
    request: Request[Any, Any, Any], data: JSONBody[TemplateUpload]
) -> TemplateResult:
    api, project = await _project(request)
    custom = await api.templates.upload(project, data.toml, data.title)
    return TemplateResult(True, _info(api, api.templates.parsed(custom), custom))


@get(
    "/api/v2/templates/{template_id:str}",
    summary="One template",
    responses=error_responses(401, 403, 404, 503),
)
async def get_template(
    request: Request[Any, Any, Any], template_id: FromPath[str]
) -> TemplateResult:
    api, project = await _project(request)
    if is_custom(template_id):
        custom = await api.templates.get(project, template_id)
        return TemplateResult(True, _info(api, api.templates.parsed(custom), custom))
    return TemplateResult(True, _info(api, renderer.template_info(template_id), None))


@delete(
    "/api/v2/templates/{template_id:str}",
    status_code=204,
    summary="Delete a custom template",
    responses=error_responses(401, 403, 404, 503),
)
async def delete_template(request: Request[Any, Any, Any], template_id: FromPath[str]) -> None:
    api, project = await _project(request)
    if not is_custom(template_id):
        renderer.template_info(template_id)  # 404 for names that are not templates at all
        raise ApiError(403, "forbidden", "built-in templates cannot be deleted", "template")
    await api.templates.delete(project, template_id)


@get(
    "/api/v2/templates/{template_id:str}/preview.png",
    summary="A sample card (PNG)",
    media_type="image/png",
    responses=error_responses(400, 404, 503),
)
async def preview_template(
    request: Request[Any, Any, Any], template_id: FromPath[str], kind: FromQuery[str] = "og"
) -> Response[bytes]:
    api: ApiRuntime = request.app.state.api
    if kind not in renderer.KINDS:
        raise ApiError(
            400, "invalid_field", f"kind must be one of {', '.join(renderer.KINDS)}", "kind"
        )
    template = (
        await api.templates.template(None, template_id)
        if is_custom(template_id)
        else renderer.template_info(template_id)
    )
    cache_key = (template.version, kind)
    data = _previews.get(cache_key)
    if data is None:
        spec = msgspec.structs.replace(_SAMPLE, template=template.name, kind=kind)
        data = (await api.pool.run(renderer.render, spec, None, template=template)).data
        _previews[cache_key] = data
    return Response(data, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})
