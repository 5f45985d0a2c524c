"""create_app(settings): wiring only. /i/ goes to a lean ASGI endpoint in front of Litestar,
which serves everything else (health, and the APIs layered on top)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar

from config import Settings
from proxy.api.generate import generate_image
from proxy.api.render import render_card
from proxy.api.templates import (
    delete_template,
    get_template,
    list_templates,
    preview_template,
    upload_template,
)
from proxy.health import healthz, readyz
from proxy.http.client_ip import ClientIP
from proxy.http.errors import exception_handlers
from proxy.image import ImageEndpoint
from proxy.lifespan import open_runtime
from proxy.observe.middleware import Observe
from proxy.observe.sampler import Sampler

__all__ = ["OgEdge", "create_app"]

log = logging.getLogger("ogedge")


class OgEdge(Observe):
    """The ASGI application: a prefix check, then the hot path or Litestar. `Observe.__call__`
    (inherited, one call layer less than wrapping) adds the request id, counts requests and
    serves /metrics around it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.image: ImageEndpoint | None = None
        self.sampler: Sampler | None = None
        super().__init__(self._route, on_scrape=self._on_scrape)
        self.litestar = Litestar(
            route_handlers=[
                healthz,
                readyz,
                render_card,
                generate_image,
                list_templates,
                upload_template,
                get_template,
                delete_template,
                preview_template,
            ],
            lifespan=[self._lifespan],
            exception_handlers=exception_handlers,
            debug=False,
        )

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        async with open_runtime(self.settings) as runtime:
            app.state.runtime = runtime
            app.state.api = runtime.api
            self.image = ImageEndpoint(
                runtime.catalog,
                runtime.limiter,
                ClientIP(self.settings.server.trusted_proxies),
                self.settings.cache.negative_ttl,
            )
            self.sampler = sampler = Sampler(runtime.breaker, runtime.dispatcher, self.meter.flush)
            sampler.start()
            try:
                yield
            finally:
                self.image = self.sampler = None
                await sampler.stop()

    def _on_scrape(self) -> None:
        if self.sampler is not None:
            self.sampler.sample()

    async def _route(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/i/") and self.image is not None:
            await self.image(scope, receive, send)
            return
        await self.litestar(scope, receive, send)  # type: ignore[arg-type]


def create_app(settings: Settings) -> OgEdge:
    return OgEdge(settings)
