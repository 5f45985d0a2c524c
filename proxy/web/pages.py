"""The web front end's handlers: the gallery at `/`, `/playground`, `/editor`, `/console`, and
the static files under `/static/<hash>/<name>`. Pages are plain HTML with a little script
(static/*.js): no framework, no build step, nothing loaded from another host. The backend they
use is the public API (/api/v2/…); an API key typed in a page stays in that tab's session
storage and travels only in the x-api-key header."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

import renderer
from proxy.errors import NotFound
from proxy.web.gallery import KIND_LABELS, gallery_body
from proxy.web.html import esc, fragment, page
from proxy.web.static import StaticFiles, compress, wants_gzip

__all__ = ["STATIC", "web_handlers"]

STATIC = StaticFiles()
_PAGE_CACHE = "no-cache"
_FORMATS = ("png", "jpeg", "webp", "avif")


def _policy(public_url: str) -> str:
    """Scripts, styles, fetches: this server only (an API key lives in these pages). Images
    also from the public /i/ origin (a CDN in front) and data: URIs (previews, drops)."""
    parts = urlsplit(public_url)
    cards = f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:{cards}; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _html(
    request: Request[Any, Any, Any], document: tuple[bytes, str], public_url: str
) -> Response[bytes]:
    body, etag = document
    headers = {
        "Content-Security-Policy": _policy(public_url),
        "Cache-Control": _PAGE_CACHE,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    gz = wants_gzip(request.headers.get("accept-encoding"))
    headers["ETag"] = etag[:-1] + '-gz"' if gz else etag
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    if gz:
        headers["Content-Encoding"] = "gzip"
        body = compress(body)
    return Response(body, media_type="text/html", headers=headers)


def _options(values: list[str], selected: str = "", labels: dict[str, str] | None = None) -> str:
    return "".join(
        f'<option value="{esc(v)}"{" selected" if v == selected else ""}>'
        f"{esc((labels or {}).get(v, v))}</option>"
        for v in values
    )


def _pick(value: str | None, allowed: list[str], default: str) -> str:
    return value if value in allowed else default


@get("/", include_in_schema=False)
async def gallery_page(
    request: Request[Any, Any, Any], public_url: NamedDependency[str], kind: FromQuery[str] = "og"
) -> Response[bytes]:
    kind = _pick(kind, list(renderer.KINDS), "og")
    return _html(
        request,
        page(
            STATIC,
            active="gallery",
            title="Gallery",
            description="Every built-in ogedge template in every palette, rendered by this server.",
            body=gallery_body(kind),
        ),
        public_url,
    )


@get("/playground", include_in_schema=False)
async def playground_page(
    request: Request[Any, Any, Any], public_url: NamedDependency[str]
) -> Response[bytes]:
    q = request.query_params
    templates = renderer.available_templates()
    template = _pick(q.get("template"), templates, "blog")
    kind = _pick(q.get("kind"), list(renderer.KINDS), "og")
    info = renderer.template_info(template)
    palette = _pick(q.get("palette"), renderer.available_palettes(), info.default_palette)
    w, h = renderer.KINDS[kind]
    titles = {n: renderer.template_info(n).title for n in templates}
    sample = (
        f"/api/v2/templates/{template}/sample.webp?palette={palette}&kind={kind}&width=640"
        f"&plain=true&v={info.version[:12]}"
    )
    body = fragment("playground.html").substitute(
        template_options=_options(templates, template, titles),
        palette_options=_options(renderer.available_palettes(), q.get("palette") or ""),
        kind_options=_options(
            list(renderer.KINDS),
            kind,
            {
                k: f"{label} \u00b7 {renderer.KINDS[k][0]}\u00d7{renderer.KINDS[k][1]}"
                for k, label in KIND_LABELS.items()
            },
        ),
        format_options=_options(list(_FORMATS), _pick(q.get("format"), list(_FORMATS), "png")),
        font_options=_options(renderer.available_fonts(), q.get("font") or ""),
        width=w,
        height=h,
        sample=esc(sample),
    )
    return _html(
        request,
        page(
            STATIC,
            active="playground",
            title="Playground",
            description="Type a title, pick a template and see the card as every network shows it.",
            body=body,
            scripts=("app.js", "playground.js"),
        ),
        public_url,
    )


@get("/editor", include_in_schema=False)
async def editor_page(
    request: Request[Any, Any, Any], public_url: NamedDependency[str]
) -> Response[bytes]:
    from renderer.template import templates_dir

    names = renderer.available_templates()
    sources = {n: (templates_dir() / f"{n}.toml").read_text("utf-8") for n in names}
    data = json.dumps(sources).replace("</", "<\\/")
    body = fragment("editor.html").substitute(
        template_options=_options(
            names, "minimal", {n: renderer.template_info(n).title for n in names}
        ),
        kind_options=_options(list(renderer.KINDS), "og", KIND_LABELS),
        sources=data,
    )
    return _html(
        request,
        page(
            STATIC,
            active="editor",
            title="Template editor",
            description="Edit a template's TOML with a live preview and save it to your project.",
            body=body,
            scripts=("app.js", "editor.js"),
        ),
        public_url,
    )


@get("/console", include_in_schema=False)
async def console_page(
    request: Request[Any, Any, Any], public_url: NamedDependency[str]
) -> Response[bytes]:
    return _html(
        request,
        page(
            STATIC,
            active="console",
            title="Console",
            description="Your project's cards, usage, templates and webhook deliveries.",
            body=fragment("console.html").substitute(),
            scripts=("app.js", "console.js"),
        ),
        public_url,
    )


@get("/static/{digest:str}/{name:path}", include_in_schema=False)
async def static_file(
    request: Request[Any, Any, Any], digest: FromPath[str], name: FromPath[Path]
) -> Response[bytes]:
    answer = STATIC.answer(
        digest,
        str(name).lstrip("/"),
        request.headers.get("if-none-match"),
        request.headers.get("accept-encoding"),
    )
    if answer is None:
        raise NotFound("no such file")
    status, body, headers = answer
    return Response(body, status_code=status, headers=headers, media_type=headers["Content-Type"])


web_handlers = [gallery_page, playground_page, editor_page, console_page, static_file]
