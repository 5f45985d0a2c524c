"""Previews: cards rendered for a look and thrown away: never stored, never counted against a
quota. The playground and the template editor (`POST /api/v2/preview`), and the gallery's
sample cards (`GET /api/v2/templates/{id}/sample.webp`).

A preview of a built-in template or of a TOML draft needs no API key (the playground is
public); a project's custom template needs its key. Images come only as `data:` URIs: the
endpoint is public, and fetching URLs for anyone would make it an open fetcher. Previews are
limited per client IP like the hot path (a local GCRA reconciled through Redis, scope
"preview", OGEDGE_PREVIEW_RATE / OGEDGE_PREVIEW_BURST). Samples are a finite set (template x
palette x kind x width), cached per worker and rendered a few at a time, so a gallery that
asks for all of them at once queues instead of filling the render pool.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec
import pyvips
from cachetools import LRUCache

import renderer
from proxy.assets import AssetResolver
from proxy.custom_templates import CustomTemplates, InvalidTemplate, is_custom, parse_draft
from proxy.errors import InvalidInput, Limited, Unauthenticated
from proxy.http.client_ip import ClientIP
from proxy.limits import ImageLimiter
from proxy.render_pool import RenderPool

__all__ = ["SAMPLE", "SAMPLE_WIDTHS", "Preview", "Previews"]

SAMPLE = renderer.RenderSpec(
    title="Shipping faster social cards",
    description="How we render every preview once and serve it from the edge forever.",
    tag="Engineering",
    author="Ada Lovelace",
)
# Widths the gallery asks for: a card in the grid and a palette thumbnail (1x and 2x screens).
SAMPLE_WIDTHS = (320, 640)
_SAMPLE_QUALITY = 82
# A public draft's cost is bounded like a built-in's (they have about ten layers).
MAX_DRAFT_LAYERS = 48


@dataclass(frozen=True, slots=True)
class Preview:
    rendered: renderer.Rendered
    # Text layer id -> the characters of its text that no installed font has (drawn as boxes).
    missing_glyphs: dict[str, str]


class Previews:
    def __init__(
        self,
        pool: RenderPool,
        templates: CustomTemplates,
        assets: AssetResolver,
        limiter: ImageLimiter,
        client_ip: ClientIP,
        samples_at_once: int = 2,
    ) -> None:
        self._client_ip = client_ip
        self._pool = pool
        self._templates = templates
        self._assets = assets
        self.limiter = limiter
        self._samples: LRUCache[tuple[str, str, str, int, bool], bytes] = LRUCache(maxsize=2048)
        self._sampling = asyncio.Semaphore(samples_at_once)

    def client(self, peer: str, headers: Mapping[str, str]) -> str:
        """The client address a preview is accounted to (X-Forwarded-For from trusted proxies)."""
        return self._client_ip.resolve(peer, headers.get("x-forwarded-for"))

    def admit(self, client: str) -> None:
        """Count one preview for `client` (an IP); Limited when over the preview rate.
        Call `learn` first when `knows` is False (once per new client per worker)."""
        decision = self.limiter.check(ClientIP.limit_key(client))
        if not decision.allowed:
            raise Limited(
                "too many previews from this address; retry shortly",
                retry_after=math.ceil(decision.retry_after),
                headers=[(k.decode(), v.decode()) for k, v in decision.headers()],
            )

    async def learn(self, client: str) -> None:
        key = ClientIP.limit_key(client)
        if not self.limiter.knows(key):
            await self.limiter.learn(key)

    async def render(
        self, spec: renderer.RenderSpec, *, project: str | None, toml: str = ""
    ) -> Preview:
        """Render `spec` with a built-in template, the project's custom one, or `toml` (a
        draft: InvalidTemplate names its key and line). Raises what a render raises."""
        template: renderer.Template | None = None
        if toml:
            draft_id = "draft_" + hashlib.sha256(toml.encode()).hexdigest()[:16]
            template = parse_draft(draft_id, toml)
            if max(len(layout.layers) for layout in template.layouts.values()) > MAX_DRAFT_LAYERS:
                raise InvalidTemplate(
                    f"a previewed template has at most {MAX_DRAFT_LAYERS} layers",
                    "toml",
                    detail={"path": "layers"},
                )
        elif is_custom(spec.template):
            if project is None:
                raise Unauthenticated(
                    "a custom template is previewed with its project's API key", "template"
                )
            template = await self._templates.template(project, spec.template)
        spec = renderer.normalize(spec, template)
        images = {
            field: self._assets.inline(field, getattr(spec, field))
            for field in ("avatar", "logo")
            if getattr(spec, field)
        }
        rendered = await self._pool.run(
            renderer.render, spec, renderer.Assets(**images), template=template
        )
        missing = {
            layer.id: renderer.missing_glyphs(layer.text)
            for layer in rendered.layers
            if layer.type == "text" and layer.text
        }
        return Preview(rendered, {k: v for k, v in missing.items() if v})

    async def sample(
        self, template_id: str, palette: str, kind: str, width: int, *, plain: bool = False
    ) -> bytes:
        """The gallery's sample card of a built-in template as WebP, `width` pixels wide, with
        a sample avatar and logo (`plain`: without, as the playground starts)."""
        template = renderer.template_info(template_id)  # TemplateNotFound: 404
        if palette not in renderer.available_palettes():
            raise InvalidInput(f"unknown palette {palette!r}", "palette")
        if kind not in renderer.KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(renderer.KINDS)}", "kind")
        if width not in SAMPLE_WIDTHS:
            raise InvalidInput(f"width must be one of {SAMPLE_WIDTHS}", "width")
        key = (template.version, palette, kind, width, plain)
        cached = self._samples.get(key)
        if cached is not None:
            return cached
        spec = msgspec.structs.replace(SAMPLE, template=template.name, palette=palette, kind=kind)
        async with self._sampling:
            data = self._samples.get(key)  # made while this one waited
            if data is None:
                data = await self._pool.run(_sample, spec, width, plain)
        self._samples[key] = data
        return data


def _sample(spec: renderer.RenderSpec, width: int, plain: bool) -> bytes:
    card = renderer.render(spec, None if plain else _sample_assets())
    image = pyvips.Image.thumbnail_buffer(card.data, width)
    return bytes(image.webpsave_buffer(Q=_SAMPLE_QUALITY, effort=2))


@functools.cache
def _sample_assets() -> renderer.Assets:
    """A made-up avatar (initials on a gradient) and logo (a wordmark), drawn once."""
    size = 256
    xy = pyvips.Image.xyz(size, size)
    t = (xy[0] + xy[1]) / (2 * size)
    rgb = [start + (end - start) * t for start, end in ((99, 236), (102, 72), (241, 153))]
    face = rgb[0].bandjoin([rgb[1], rgb[2], 255]).cast("uchar").copy(interpretation="srgb")
    initials = _text('<span foreground="white" font_weight="700">AL</span>', 100)
    face = face.composite2(
        initials, "over", x=(size - initials.width) // 2, y=(size - initials.height) // 2
    )
    logo = _text('<span foreground="#8b5cf6" font_weight="800">\u25c6 lumen</span>', 72)
    return renderer.Assets(avatar=bytes(face.pngsave_buffer()), logo=bytes(logo.pngsave_buffer()))


def _text(markup: str, size: int) -> pyvips.Image:
    image = pyvips.Image.text(markup, font=f"Inter {size}", rgba=True, dpi=72)
    return image.copy(interpretation="srgb")
