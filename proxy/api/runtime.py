"""What the generation APIs need, built once per worker in the lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from proxy.api.assets import AssetResolver
from proxy.api.custom_templates import CustomTemplates
from proxy.api.key_limits import KeyLimiter
from proxy.api.quota import Quotas
from proxy.catalog import Catalog
from proxy.keys import Authenticator
from proxy.render_pool import RenderPool
from proxy.slugs import Revisions
from proxy.storage.base import Storage
from proxy.webhooks import Outbox

__all__ = ["ApiRuntime"]


@dataclass(frozen=True, slots=True)
class ApiRuntime:
    public_url: str
    secret: bytes
    storage: Storage
    catalog: Catalog
    pool: RenderPool
    auth: Authenticator
    key_limits: KeyLimiter
    quotas: Quotas
    revisions: Revisions
    assets: AssetResolver
    max_page_bytes: int
    outbox: Outbox
    webhook_allow_http: bool
    templates: CustomTemplates

    def image_url(self, slug: str) -> str:
        return f"{self.public_url.rstrip('/')}/i/{slug}"
