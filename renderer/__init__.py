"""ogedge's pure renderer: a render spec, a template and asset bytes in; image bytes out.

No HTTP, no asyncio, no storage. `render` is thread-safe and spends its time inside libvips,
which releases the GIL, so the server calls it from worker threads.

    from renderer import RenderSpec, Assets, render
    card = render(RenderSpec(title="Hello", template="blog"), Assets(logo=png_bytes))
    card.data, card.media_type, card.width, card.height, card.layers
"""

from __future__ import annotations

from .compose import LayerReport
from .density import DPRS
from .encode import MAX_OUTPUT_BYTES
from .errors import (
    AssetError,
    RenderError,
    RuntimeUnsupported,
    SpecError,
    TemplateError,
    TemplateNotFound,
)
from .fonts import available_fonts, missing_glyphs
from .images import DEFAULT_MAX_PIXELS
from .libvips import check_runtime
from .pipeline import (
    Assets,
    Rendered,
    available_palettes,
    available_templates,
    normalize,
    render,
    spec_hash,
    template_info,
    template_version,
)
from .spec import KINDS, RenderSpec, parse_spec
from .template import Template, parse_template, preload_templates

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DPRS",
    "KINDS",
    "MAX_OUTPUT_BYTES",
    "AssetError",
    "Assets",
    "LayerReport",
    "RenderError",
    "RenderSpec",
    "Rendered",
    "RuntimeUnsupported",
    "SpecError",
    "Template",
    "TemplateError",
    "TemplateNotFound",
    "available_fonts",
    "available_palettes",
    "available_templates",
    "check_runtime",
    "missing_glyphs",
    "normalize",
    "parse_spec",
    "parse_template",
    "preload_templates",
    "render",
    "spec_hash",
    "template_info",
    "template_version",
]
