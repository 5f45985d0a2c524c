"""Webhooks of the Render API: check `webhookUrl`/`webhookSecret` before any work (a request
whose webhook could never be delivered is a 400), then queue `render.completed` once the card
is stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from proxy.netguard import AddressPolicy
from proxy.state import StateUnavailable
from proxy.webhooks.event import render_completed
from proxy.webhooks.outbox import Outbox
from proxy.webhooks.record import new_delivery
from proxy.webhooks.signing import secret_key
from proxy.webhooks.validate import check_webhook_url

__all__ = ["Notifier", "WebhookTarget"]

log = logging.getLogger("ogedge.webhooks")


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    key: bytes


class Notifier:
    def __init__(self, outbox: Outbox, *, allow_http: bool, policy: AddressPolicy) -> None:
        self._outbox = outbox
        self._allow_http = allow_http
        self._policy = policy

    def target(self, url: str, secret: str) -> WebhookTarget | None:
        """None when no webhook was asked for. Raises InvalidWebhookURL, InvalidWebhookSecret."""
        if not url:
            return None
        return WebhookTarget(
            check_webhook_url(url, self._allow_http, self._policy), secret_key(secret)
        )

    async def render_completed(
        self,
        target: WebhookTarget | None,
        *,
        slug: str,
        image_url: str,
        template: str,
        kind: str,
        metadata: dict[str, Any] | None,
        cached: bool,
        project: str = "",
    ) -> bool:
        """Queue the event; False when none was asked for or it could not be queued (the card
        itself is stored either way, so the answer stays a success)."""
        if target is None:
            return False
        payload = render_completed(
            slug=slug,
            url=image_url,
            template=template,
            kind=kind,
            metadata=metadata,
            created_at=datetime.now(UTC),
            cached=cached,
        )
        try:
            await self._outbox.enqueue(
                new_delivery(target.url, target.key, payload, project=project)
            )
        except StateUnavailable as exc:
            log.warning("webhook for %s not queued: %s", slug, exc)
            return False
        return True
