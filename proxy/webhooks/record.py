"""What the outbox stores: one record per pending delivery, one per dead letter."""

from __future__ import annotations

import secrets
import time

import msgspec

from proxy.webhooks.signing import receiver_secret

__all__ = ["DeadLetter", "Delivery", "LoggedDelivery", "new_delivery"]


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One event for one URL, from enqueue until it is delivered or dead-lettered.

    Times are Unix milliseconds. In Redis the record is JSON (the payload as base64) and
    the Lua scripts rewrite `attempt` and `next_at`, so both stay plain integers.
    """

    # `msg_…`: the Standard Webhooks message id, the same on every attempt.
    id: str
    url: str
    # The HMAC key in `whsec_<base64>` form (signing.receiver_secret).
    secret: str
    # The event body exactly as signed and sent.
    payload: bytes
    # Attempts started so far; claiming a delivery counts one.
    attempt: int = 0
    # When it is due; while claimed, when its lease runs out.
    next_at: int = 0
    created: int = 0
    # The project whose render queued it: its recent-deliveries log (the console) follows it.
    project: str = ""


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery given up on, kept for inspection. No secret: it will never be signed again."""

    id: str
    url: str
    payload: bytes
    attempts: int
    reason: str
    created: int
    dead_at: int
    project: str = ""

    @classmethod
    def of(cls, delivery: Delivery, reason: str, now_ms: int) -> DeadLetter:
        return cls(
            id=delivery.id,
            url=delivery.url,
            payload=delivery.payload,
            attempts=delivery.attempt,
            reason=reason,
            created=delivery.created,
            dead_at=now_ms,
            project=delivery.project,
        )


class LoggedDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a project's recent-deliveries log, kept beside the queue (outbox.py).

    `status` is pending (queued or between attempts), delivered or dead; `attempts` counts
    the settled attempts of the current series (a re-send starts a new one, `resends` counts
    them); `last_error` is the reason the last failed attempt gave. The settle and re-send
    scripts rewrite it in Redis. `secret` and `payload` are kept only while it is dead, so
    that a re-send can sign the same event again; the console never shows them.
    """

    id: str
    url: str
    event: str = ""
    slug: str = ""
    status: str = "pending"
    attempts: int = 0
    last_error: str = ""
    created: int = 0
    updated: int = 0
    resends: int = 0
    secret: str = ""
    payload: bytes = b""

    @classmethod
    def of(cls, delivery: Delivery) -> LoggedDelivery:
        try:
            event = msgspec.json.decode(delivery.payload)
        except msgspec.DecodeError:
            event = None
        data = event.get("data") if isinstance(event, dict) else None
        return cls(
            id=delivery.id,
            url=delivery.url,
            event=str(event.get("type", "")) if isinstance(event, dict) else "",
            slug=str(data.get("slug", "")) if isinstance(data, dict) else "",
            created=delivery.created,
            updated=delivery.created,
        )


def new_delivery(
    url: str, key: bytes, payload: bytes, now: float | None = None, *, project: str = ""
) -> Delivery:
    """A fresh delivery of `payload` to `url`, signed later with `key` (signing.secret_key)."""
    created = int((time.time() if now is None else now) * 1000)
    return Delivery(
        # 128 random bits: ids are what receivers deduplicate on, so they must never repeat.
        id="msg_" + secrets.token_hex(16),
        url=url,
        secret=receiver_secret(key),
        payload=payload,
        next_at=created,
        created=created,
        project=project,
    )
