"""POST /api/v2/preview: a card rendered for a look (the playground, the template editor), and
GET /api/v2/templates/{id}/sample.webp: the gallery's sample cards.

A preview takes the fields of POST /api/v2/render (no webhook) plus an optional `toml` draft,
renders without storing or counting, and answers JSON: the image as a `data:` URI and the
layout diagnostics the renderer returns (font size chosen, lines used, truncation, missing
glyphs per text layer). No API key is needed unless `template` is a custom one. It is limited
per client IP (429 with Retry-After and RateLimit-*), like /i/.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Response

import renderer
from proxy.api.schemas import MAX_BODY_BYTES, error_responses
from proxy.custom_templates import MAX_TOML_BYTES
from proxy.keys import Authenticator
from proxy.keys.auth import extract_key
from proxy.previews import Previews

__all__ = ["PreviewRequest", "PreviewResult", "preview_card", "sample_card"]

# The preview body carries the images inline: room for two ~3 MB images as base64.
MAX_PREVIEW_BODY = 8 * 1024 * 1024 + MAX_BODY_BYTES


class PreviewRequest(renderer.RenderSpec, frozen=True, kw_only=True, rename="camel"):
    """The fields of POST /api/v2/render that change the card, and optionally a TOML draft
    (rendered instead of `template`; an invalid one is a 400 whose error names its line)."""

    template: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "blog"
    toml: Annotated[str, msgspec.Meta(max_length=MAX_TOML_BYTES)] = ""


class LayerInfo(msgspec.Struct, rename="camel"):
    id: str
    type: str
    field: str
    box: tuple[int, int, int, int]
    ink: tuple[int, int, int, int]
    font_size: int
    lines: int
    truncated: bool
    text: str
    # Characters of `text` no installed font has: drawn as boxes on the card.
    missing_glyphs: str


class PreviewResult(msgspec.Struct, rename="camel"):
    success: bool
    # data:<mediaType>;base64,… : set it as an <img> src.
    image: str
    media_type: str
    bytes: int
    width: int
    height: int
    template: str
    kind: str
    palette: str
    font: str
    elapsed_ms: float
    layers: list[LayerInfo]


@post(
    "/api/v2/preview",
    request_max_body_size=MAX_PREVIEW_BODY,
    status_code=200,
    summary="Render a card without storing it (the playground's live preview)",
    description=(
        "Public for built-in templates and TOML drafts; a custom template needs its project's "
        "key. Images as data: URIs only. Limited per client IP (OGEDGE_PREVIEW_RATE/BURST)."
    ),
    responses=error_responses(400, 401, 404, 413, 429, 503),
)
async def preview_card(
    request: Request[Any, Any, Any],
    data: JSONBody[PreviewRequest],
    auth: NamedDependency[Authenticator],
    previews: NamedDependency[Previews],
) -> PreviewResult:
    client = previews.client(request.client.host if request.client else "unknown", request.headers)
    await previews.learn(client)
    previews.admit(client)
    project = None
    if extract_key(request.headers) is not None:
        project = auth.authorize(await auth.authenticate(request.headers), None)
    fields = {k: v for k, v in msgspec.to_builtins(data).items() if k != "toml"}
    spec = msgspec.convert(fields, renderer.RenderSpec)
    preview = await previews.render(spec, project=project, toml=data.toml)
    card = preview.rendered
    return PreviewResult(
        success=True,
        image=f"data:{card.media_type};base64,{base64.b64encode(card.data).decode('ascii')}",
        media_type=card.media_type,
        bytes=len(card.data),
        width=card.width,
        height=card.height,
        template=data.template if not data.toml else "draft",
        kind=card.kind,
        palette=card.palette,
        font=card.font,
        elapsed_ms=round(card.elapsed_ms, 1),
        layers=[
            LayerInfo(
                id=layer.id,
                type=layer.type,
                field=layer.field,
                box=layer.box,
                ink=layer.ink,
                font_size=layer.font_size,
                lines=layer.lines,
                truncated=layer.truncated,
                text=layer.text,
                missing_glyphs=preview.missing_glyphs.get(layer.id, ""),
            )
            for layer in card.layers
        ],
    )


@get(
    "/api/v2/templates/{template_id:str}/sample.webp",
    summary="A built-in template's sample card in one palette and kind (WebP, for galleries)",
    media_type="image/webp",
    responses=error_responses(400, 404, 503),
)
async def sample_card(
    template_id: FromPath[str],
    previews: NamedDependency[Previews],
    palette: FromQuery[str],
    kind: FromQuery[str] = "og",
    width: FromQuery[int] = 640,
    v: FromQuery[str] = "",
    plain: FromQuery[bool] = False,
) -> Response[bytes]:
    data = await previews.sample(template_id, palette, kind, width, plain=plain)
    # With `v` (the template's version, as the gallery links it) the bytes never change.
    cache = "public, max-age=31536000, immutable" if v else "public, max-age=3600"
    return Response(data, media_type="image/webp", headers={"Cache-Control": cache})
