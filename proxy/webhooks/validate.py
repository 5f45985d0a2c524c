"""Request-time checks on `webhookUrl`: refuse what could never be delivered with a clear 400."""

from __future__ import annotations

from typing import Final

from yarl import URL

from proxy.errors import InvalidInput
from proxy.netguard import AddressPolicy, FetchError
from proxy.netguard.urls import check_url

__all__ = ["InvalidWebhookURL", "check_webhook_url"]

_MAX_URL_CHARS: Final = 2048


class InvalidWebhookURL(InvalidInput):
    """A `webhookUrl` that will not be accepted."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "webhookUrl")


def check_webhook_url(url: str, allow_http: bool, policy: AddressPolicy | None = None) -> str:
    """The URL to deliver to, normalised, or InvalidWebhookURL.

    https only unless `allow_http` (OGEDGE_WEBHOOK_ALLOW_HTTP, development only); no user
    name or password. With `policy`, an IP-literal host it forbids (127.0.0.1, 10.x, …) is
    refused now rather than dead-lettered later; names are judged at delivery time, on the
    address actually connected to.
    """
    if not url or len(url) > _MAX_URL_CHARS:
        raise InvalidWebhookURL(f"webhookUrl must be a URL of 1 to {_MAX_URL_CHARS} characters")
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        raise InvalidWebhookURL("webhookUrl is not a valid URL") from exc
    scheme = parsed.scheme.lower()
    allowed = ("https", "http") if allow_http else ("https",)
    if scheme not in allowed:
        raise InvalidWebhookURL(
            "webhookUrl must be an https:// URL"
            + ("" if allow_http or scheme != "http" else " (http is a development setting)")
        )
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise InvalidWebhookURL("webhookUrl must not contain a user name or password")
    if not parsed.raw_host:
        raise InvalidWebhookURL("webhookUrl has no host")
    try:
        checked = check_url(parsed, policy or AddressPolicy(allow_private=True))
    except FetchError as exc:
        raise InvalidWebhookURL(f"webhookUrl cannot be delivered to: {exc.reason}") from exc
    return str(checked)
