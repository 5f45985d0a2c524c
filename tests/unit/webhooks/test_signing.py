from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from proxy.webhooks import InvalidWebhookSecret, receiver_secret, secret_key, sign

BODY = b'{"type":"render.completed","data":{"slug":"abc"}}'


def test_plain_secret_is_its_utf8_bytes() -> None:
    assert secret_key("s3cr\u00e9t") == "s3cr\u00e9t".encode()


def test_whsec_secret_is_base64_decoded_with_or_without_padding() -> None:
    raw = b"\x00\x01binary key\xff"
    text = base64.b64encode(raw).decode()
    assert secret_key("whsec_" + text) == raw
    assert secret_key("whsec_" + text.rstrip("=")) == raw


@pytest.mark.parametrize("bad", ["", "whsec_", "whsec_not*base64!", "x" * 513])
def test_unusable_secrets_name_the_field(bad: str) -> None:
    with pytest.raises(InvalidWebhookSecret) as info:
        secret_key(bad)
    assert info.value.field == "webhookSecret"


@pytest.mark.parametrize(
    "caller_secret", ["my plain secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
)
def test_the_reference_library_verifies_with_receiver_secret(caller_secret: str) -> None:
    key = secret_key(caller_secret)
    headers = sign(key, "msg_1", datetime.now(UTC), BODY)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    # What the README (Webhooks) tells receivers to do.
    assert Webhook(receiver_secret(key)).verify(BODY, headers) == {
        "type": "render.completed",
        "data": {"slug": "abc"},
    }
    # A whsec_ secret also works as given; and raw bytes work as bytes.
    if caller_secret.startswith("whsec_"):
        Webhook(caller_secret).verify(BODY, headers)
    Webhook(key).verify(BODY, headers)


def test_tampering_and_the_wrong_key_fail_verification() -> None:
    headers = sign(b"right", "msg_1", datetime.now(UTC), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(receiver_secret(b"wrong")).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(receiver_secret(b"right")).verify(BODY + b" ", headers)


def test_timestamp_is_the_attempt_time_in_utc_whatever_its_zone() -> None:
    from datetime import timedelta, timezone

    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5)))
    headers = sign(b"k", "msg_1", at, BODY)
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    with pytest.raises(ValueError, match="timezone-aware"):
        sign(b"k", "msg_1", datetime(2030, 1, 1), BODY)
