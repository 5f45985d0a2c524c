"""The render pipeline: normalise a spec, compose its template's layers, encode the card.

Also the lookups the pipeline and its callers share: templates, palettes, the canonical
(normalised) spec and its hash.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import msgspec

from .compose import Content, LayerReport, compose
from .density import at_density
from .encode import MAX_OUTPUT_BYTES, MEDIA_TYPES, encode
from .errors import SpecError, TemplateNotFound
from .fonts import available_fonts
from .images import DEFAULT_MAX_PIXELS
from .libvips import check_runtime
from .spec import RenderSpec, normalize_fields, spec_digest
from .template import Template, registry

__all__ = [
    "Assets",
    "Rendered",
    "available_palettes",
    "available_templates",
    "normalize",
    "render",
    "spec_hash",
    "template_info",
    "template_version",
]


class Assets(msgspec.Struct, frozen=True, kw_only=True):
    """Image bytes the caller resolved from the spec's URLs (or the scraped page)."""

    avatar: bytes | None = None
    logo: bytes | None = None
    favicon: bytes | None = None
    page_image: bytes | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    data: bytes
    media_type: str
    width: int
    height: int
    template: str
    template_version: str
    kind: str
    palette: str
    font: str
    layers: tuple[LayerReport, ...]
    elapsed_ms: float

    def layer(self, layer_id: str) -> LayerReport | None:
        return next((item for item in self.layers if item.id == layer_id), None)

    @property
    def font_size(self) -> int:
        """The size chosen for the title (0 when the template has no title layer)."""
        title = self.layer("title")
        return title.font_size if title else 0

    @property
    def truncated(self) -> dict[str, bool]:
        return {item.id: item.truncated for item in self.layers if item.type == "text"}

    @property
    def lines(self) -> dict[str, int]:
        return {item.id: item.lines for item in self.layers if item.type == "text"}


def available_templates() -> list[str]:
    return sorted(registry().templates)


def available_palettes() -> list[str]:
    return sorted(registry().palettes)


def template_info(name: str) -> Template:
    """The loaded template (title, description, fields, default palette/font, version)."""
    templates = registry().templates
    if name not in templates:
        raise TemplateNotFound(name, sorted(templates))
    return templates[name]


def template_version(name: str) -> str:
    """Content hash of the template (and palettes, and renderer revision)."""
    return template_info(name).version


def normalize(spec: RenderSpec, template: Template | None = None) -> RenderSpec:
    """Validate every field and fill defaults: the canonical form that is hashed.

    `template` is given for a custom (uploaded) template, which the registry does not hold."""
    spec = normalize_fields(spec)
    template = template or template_info(spec.template)
    palettes = registry().palettes
    if spec.palette and spec.palette not in palettes:
        raise SpecError(
            "palette", f"unknown palette {spec.palette!r}; available: {', '.join(sorted(palettes))}"
        )
    fonts = available_fonts()
    if spec.font and spec.font not in fonts:
        match = next((f for f in fonts if f.lower() == spec.font.lower()), None)
        if match is None:
            raise SpecError("font", f"unknown font {spec.font!r}; available: {', '.join(fonts)}")
        spec = msgspec.structs.replace(spec, font=match)
    return msgspec.structs.replace(
        spec,
        palette=spec.palette or template.default_palette,
        font=spec.font or template.default_font,
    )


def spec_hash(spec: RenderSpec, template: Template | None = None) -> str:
    """SHA-256 hex of the canonical spec: the identity used for deduplication."""
    return spec_digest(normalize(spec, template))


def render(
    spec: RenderSpec,
    assets: Assets | None = None,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = MAX_OUTPUT_BYTES,
    template: Template | None = None,
) -> Rendered:
    """Render one card. Raises SpecError / TemplateNotFound / AssetError on bad input."""
    started = time.perf_counter()
    check_runtime()
    spec = normalize(spec, template)
    template = template or template_info(spec.template)
    layout = at_density(template.layouts[spec.kind], spec.dpr)
    palette = (
        registry()
        .palettes[spec.palette]
        .with_overrides(spec.background_color, spec.text_color, spec.accent_color)
    )
    assets = assets or Assets()
    images = {
        field: data
        for field, data in (
            ("avatar", assets.avatar),
            ("logo", assets.logo),
            ("favicon", assets.favicon),
            ("page_image", assets.page_image),
        )
        if data
    }
    texts = {
        "title": spec.title,
        "description": spec.description,
        "tag": spec.tag,
        "author": spec.author,
    }
    content = Content(texts=texts, images=images, font=spec.font, max_pixels=max_pixels)
    # The cached background is per density too: the kind's name carries it.
    drawn_as = spec.kind if spec.dpr == 1 else f"{spec.kind}@{spec.dpr}x"
    canvas, reports = compose(template.name, drawn_as, layout, palette, content)
    output = layout.output
    if layout.background.image_field in images:  # drawn over a photo: see Output
        output = msgspec.structs.replace(output, png_compression=output.photo_png_compression)
    data = encode(canvas, spec.format, output, max_bytes)
    return Rendered(
        data=data,
        media_type=MEDIA_TYPES[spec.format],
        width=layout.width,
        height=layout.height,
        template=template.name,
        template_version=template.version,
        kind=spec.kind,
        palette=spec.palette,
        font=spec.font,
        layers=tuple(reports),
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )
