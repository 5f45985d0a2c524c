"""Webhooks: Standard Webhooks signing, the render.completed event, a durable outbox and its
dispatcher.

Wiring: build the event (`render_completed`), check the URL and the secret at request time
(`check_webhook_url`, `secret_key`), `await outbox.enqueue(new_delivery(url, key, body))`;
one `Dispatcher` per worker drains the outbox (`start()` at start-up, `await stop()` at
shutdown). The outbox lives in Redis (the embedded server by default), so it is durable and
shared by every worker and node.
"""

from proxy.webhooks.dispatcher import Dispatcher, DispatchStats
from proxy.webhooks.event import RENDER_COMPLETED, render_completed
from proxy.webhooks.outbox import Outbox
from proxy.webhooks.record import DeadLetter, Delivery, LoggedDelivery, new_delivery
from proxy.webhooks.signing import InvalidWebhookSecret, receiver_secret, secret_key, sign
from proxy.webhooks.validate import InvalidWebhookURL, check_webhook_url

__all__ = [
    "RENDER_COMPLETED",
    "DeadLetter",
    "Delivery",
    "DispatchStats",
    "Dispatcher",
    "InvalidWebhookSecret",
    "InvalidWebhookURL",
    "LoggedDelivery",
    "Outbox",
    "check_webhook_url",
    "new_delivery",
    "receiver_secret",
    "render_completed",
    "secret_key",
    "sign",
]
