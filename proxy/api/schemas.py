"""Wire types of the generation APIs: they are the OpenAPI schema at /schema, so they say
exactly what the endpoints accept and answer, errors included."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec

from proxy.webhooks.signing import MAX_SECRET_CHARS
from renderer import RenderSpec

__all__ = [
    "MAX_BODY_BYTES",
    "ErrorBody",
    "GenerateRequest",
    "GenerateResult",
    "RenderRequest",
    "RenderResult",
    "SignRequest",
    "SignResult",
    "error_responses",
]

MAX_BODY_BYTES = 64 * 1024
# The fields that never enter the spec hash.
TRANSIENT = ("webhookUrl", "webhookSecret", "metadata")


class RenderRequest(RenderSpec, frozen=True, kw_only=True, rename="camel"):
    """The render-affecting fields, plus delivery details that never change the card."""

    # Required here (the renderer defaults it): a request without one is a 400 naming it.
    template: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    webhook_url: Annotated[str, msgspec.Meta(max_length=2048)] = ""
    webhook_secret: Annotated[str, msgspec.Meta(max_length=MAX_SECRET_CHARS)] = ""
    metadata: dict[str, Any] | None = None

    def spec(self) -> RenderSpec:
        fields = {k: v for k, v in msgspec.to_builtins(self).items() if k not in TRANSIENT}
        return msgspec.convert(fields, RenderSpec)


class SignRequest(RenderSpec, frozen=True, kw_only=True, rename="camel"):
    """The fields of a signed render URL (those of POST /api/v2/render), and when it expires."""

    template: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # Unix seconds; the URL is refused after it. None: it never expires.
    expires: Annotated[int, msgspec.Meta(gt=0)] | None = None

    def spec(self) -> RenderSpec:
        fields = {k: v for k, v in msgspec.to_builtins(self).items() if k != "expires"}
        return msgspec.convert(fields, RenderSpec)


class SignResult(msgspec.Struct):
    success: bool
    url: str


class RenderResult(msgspec.Struct):
    success: bool
    slug: str
    url: str
    webhook_dispatched: bool
    cached: bool = False


class GenerateRequest(msgspec.Struct, kw_only=True, rename="camel"):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]
    project_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    kind: Literal["og", "twitter", "linkedin", "square"] = "og"
    template: Annotated[str, msgspec.Meta(max_length=64)] = "blog"
    # A palette name.
    style: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    # Device pixel ratio: 2 renders at twice the kind's width and height.
    dpr: Literal[1, 2] = 1
    force: bool = False


class Source(msgspec.Struct):
    title: str | None
    description: str | None
    favicon: str | None


class GenerateResult(msgspec.Struct, rename="camel"):
    id: str
    image_url: str
    kind: str
    width: int
    height: int
    cached: bool
    generation_ms: int | None
    ai: None
    source: Source
    # The page's favicon and image as used on the card; null when absent or left out.
    assets: dict[str, str | None]
    # Why a favicon or image the page named was left out (it could not be fetched or decoded).
    assets_omitted: dict[str, str] = {}


class ErrorDetail(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    field: str | None = None
    # invalid_template only: where the validator found the fault in the TOML (1-based line,
    # and the key path, e.g. "layers[title].size" or "kinds.square.layers.title").
    line: int | None = None
    path: str | None = None


class ErrorBody(msgspec.Struct):
    success: Literal[False]
    error: ErrorDetail


_MEANING = {
    400: "a field is invalid (error.field names it) or the body is not JSON",
    401: "missing or invalid API key",
    403: "the key may not act for that project",
    404: "unknown template, or no such resource",
    409: "a conflict: the project has no signing key yet (ogedge projects signing-key create), or the resource is not in a state that allows this (e.g. a delivery that is not dead)",
    413: "request body over 64 KiB, or an inline image over its cap",
    422: "an avatar, logo or page that cannot be used (error.field names it)",
    429: "rate limit or monthly quota exceeded; see Retry-After",
    503: "Redis or storage unreachable, or every render slot busy; see Retry-After",
}


def error_responses(*codes: int) -> dict[int, ResponseSpec]:
    return {c: ResponseSpec(data_container=ErrorBody, description=_MEANING[c]) for c in codes}
