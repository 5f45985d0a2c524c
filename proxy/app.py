"""create_app(settings): wiring only. /i/ goes to a lean ASGI endpoint in front of Litestar,
which serves everything else (health, and the APIs layered on top)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide

from config import Settings
from proxy.api.check import check_url
from proxy.api.console import list_cards, list_deliveries, resend_delivery, show_usage
from proxy.api.generate import generate_image
from proxy.api.preview import preview_card, sample_card
from proxy.api.render import render_card
from proxy.api.sign import sign_url
from proxy.api.templates import (
    delete_template,
    get_template,
    list_templates,
    preview_template,
    upload_template,
)
from proxy.closing import bounded
from proxy.health import healthz, readyz
from proxy.http.client_ip import ClientIP
from proxy.http.errors import exception_handlers, send_described
from proxy.image import ImageEndpoint
from proxy.lifespan import Services, open_services
from proxy.observe.middleware import Observe
from proxy.observe.sampler import Sampler
from proxy.og import OgEndpoint
from proxy.web import openapi_config, web_handlers

__all__ = ["OgEdge", "create_app"]

log = logging.getLogger("ogedge")
# What handlers may ask for by parameter name: each is one attribute of the worker's Services.
_INJECTED = (
    "auth",
    "key_limits",
    "field_cards",
    "page_cards",
    "templates",
    "signing_keys",
    "notifier",
    "pool",
    "public_url",
    "previews",
    "console",
    "checker",
    "services",
)


def _provider(name: str) -> Provide:
    def provide(state: State) -> Any:
        services: Services = state.services
        return services if name == "services" else getattr(services, name)

    return Provide(provide, sync_to_thread=False)


class OgEdge(Observe):
    """The ASGI application: a prefix check, then the hot path or Litestar. `Observe.__call__`
    (inherited, one call layer less than wrapping) adds the request id, counts requests and
    serves /metrics around it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.image: ImageEndpoint | None = None
        self.og: OgEndpoint | None = None
        self.sampler: Sampler | None = None
        super().__init__(self._route, on_scrape=self._on_scrape, on_error=_answer_error)
        self.litestar = Litestar(
            route_handlers=[
                healthz,
                readyz,
                render_card,
                sign_url,
                generate_image,
                list_templates,
                upload_template,
                get_template,
                delete_template,
                preview_template,
                preview_card,
                sample_card,
                list_cards,
                show_usage,
                list_deliveries,
                resend_delivery,
                *web_handlers,
                check_url,
            ],
            openapi_config=openapi_config(),
            lifespan=[self._lifespan],
            dependencies={name: _provider(name) for name in _INJECTED},
            exception_handlers=exception_handlers,
            debug=False,
        )

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        async with open_services(self.settings) as services:
            app.state.services = services
            self.image = image = ImageEndpoint(
                services.catalog,
                services.limiter,
                services.crawler_limiter,
                ClientIP(self.settings.server.trusted_proxies),
                self.settings.cache.negative_ttl,
                services.delivery,
            )
            self.og = OgEndpoint(image, services.og_links)
            self.sampler = sampler = Sampler(
                services.state.breaker, services.dispatcher, self.meter.flush
            )
            sampler.start()
            try:
                yield
            finally:
                self.image = self.og = self.sampler = None
                await bounded(sampler.stop, "metrics sampler")

    def _on_scrape(self) -> None:
        if self.sampler is not None:
            self.sampler.sample()

    async def _route(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/i/") and self.image is not None:
                await self.image(scope, receive, send)
                return
            if path.startswith("/og/") and self.og is not None:
                await self.og(scope, receive, send)
                return
        await self.litestar(scope, receive, send)  # type: ignore[arg-type]


async def _answer_error(exc: BaseException, scope: dict[str, Any], send: Any) -> None:
    # The one mapping (logs what it does not know, with the request id) for the plain ASGI
    # endpoints too: a bug there is a logged JSON 500, and a known failure its usual answer.
    await send_described(send, exc, scope.get("method") == "HEAD")


def create_app(settings: Settings) -> OgEdge:
    return OgEdge(settings)
