"""Standard Webhooks signatures (https://www.standardwebhooks.com/), made by the reference library.

The HMAC-SHA256 key is the caller's `webhookSecret` as bytes:
- `whsec_<base64>` (the spec's own format) means the base64-decoded bytes;
- any other string means its UTF-8 bytes, as given.
A receiver verifies with `standardwebhooks.Webhook(receiver_secret(webhookSecret))`, i.e. the
string `whsec_<base64 of those bytes>` (the README, Webhooks, shows it). Passing a plain secret
straight to `Webhook("…")` would not work: the library base64-decodes strings.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Final

from standardwebhooks import Webhook

from proxy.errors import InvalidInput

__all__ = [
    "MAX_SECRET_CHARS",
    "SECRET_PREFIX",
    "InvalidWebhookSecret",
    "receiver_secret",
    "secret_key",
    "sign",
]

SECRET_PREFIX: Final = "whsec_"
# The Render API's documented limit (ogmint: at most 100 characters); `whsec_` + 64 random
# bytes in base64 (94 characters) fits.
MAX_SECRET_CHARS: Final = 100


class InvalidWebhookSecret(InvalidInput):
    """A `webhookSecret` that cannot key a signature."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "webhookSecret")


def secret_key(secret: str) -> bytes:
    """The HMAC key for a caller's `webhookSecret`, or InvalidWebhookSecret."""
    if not secret:
        raise InvalidWebhookSecret("webhookSecret must not be empty when webhookUrl is given")
    if len(secret) > MAX_SECRET_CHARS:
        raise InvalidWebhookSecret(f"webhookSecret is longer than {MAX_SECRET_CHARS} characters")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode()
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        # Padding is optional in the wild (the reference library adds it too).
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidWebhookSecret(
            "webhookSecret starts with 'whsec_' but the rest is not base64"
        ) from exc
    if not key:
        raise InvalidWebhookSecret("webhookSecret 'whsec_' has an empty key")
    return key


def receiver_secret(key: bytes) -> str:
    """The string a receiver hands to `standardwebhooks.Webhook` to verify with `key`."""
    return SECRET_PREFIX + base64.b64encode(key).decode("ascii")


def sign(key: bytes, msg_id: str, timestamp: datetime, payload: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt of message `msg_id`.

    `msg_id` is the same on every retry (receivers deduplicate on it); `timestamp` is the
    attempt's own time, so a retry a day later is still inside a receiver's tolerance window.
    """
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    # The library reads the datetime as UTC whatever its zone: convert, do not relabel.
    at = timestamp.astimezone(UTC)
    signature = Webhook(key).sign(msg_id, at, payload.decode("utf-8"))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
