"""/schema: the OpenAPI document and its interactive docs (Swagger UI), every asset served by
ogedge (vendored under static/vendor/swagger-ui, see its VERSION), so a box without internet
shows the docs. Litestar's plugin defaults load scripts, styles and a favicon from CDNs."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from proxy.web.static import StaticFiles

__all__ = ["openapi_config"]

_VENDOR = "vendor/swagger-ui/"


class _OfflineSwagger(SwaggerRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        # No spec validator badge: it would send the document to validator.swagger.io.
        return page.replace(
            b"dom_id: '#swagger-container',",
            b"dom_id: '#swagger-container',\n                  validatorUrl: null,",
            1,
        )


def openapi_config(static: StaticFiles) -> OpenAPIConfig:
    plugin = _OfflineSwagger(
        js_url=static.url_for(_VENDOR + "swagger-ui-bundle.js"),
        css_url=static.url_for(_VENDOR + "swagger-ui.css"),
        standalone_preset_js_url=static.url_for(_VENDOR + "swagger-ui-standalone-preset.js"),
        path="/",
        favicon=f"<link rel='icon' type='image/svg+xml' href='{static.url_for('favicon.svg')}'>",
    )
    return OpenAPIConfig(
        title="ogedge",
        version="0.1.0",
        description="Social cards, rendered once, served fast. Pages: / (gallery), "
        "/playground, /editor, /console.",
        path="/schema",
        render_plugins=[plugin],
    )
