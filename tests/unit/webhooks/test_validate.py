from __future__ import annotations

import pytest

from proxy.netguard import AddressPolicy
from proxy.webhooks import InvalidWebhookURL, check_webhook_url


def test_https_is_accepted_and_normalised() -> None:
    assert check_webhook_url("https://Hooks.Example.com/in#frag", False) == (
        "https://hooks.example.com/in"
    )


@pytest.mark.parametrize(
    ("url", "allow_http", "words"),
    [
        ("http://hooks.example.com/in", False, "development setting"),
        ("ftp://hooks.example.com/in", True, "https://"),
        ("https://user:pw@hooks.example.com/", False, "user name or password"),
        ("https://user@hooks.example.com/", False, "user name or password"),
        ("https:///nohost", False, "no host"),
        ("/relative", False, "https://"),
        ("", False, "1 to 2048"),
        ("https://example.com/" + "a" * 2048, False, "1 to 2048"),
        ("https://0x7f.1/", False, "cannot be delivered"),
    ],
)
def test_refusals_name_the_field(url: str, allow_http: bool, words: str) -> None:
    with pytest.raises(InvalidWebhookURL, match=words) as info:
        check_webhook_url(url, allow_http)
    assert info.value.field == "webhookUrl"
    assert "pw" not in str(info.value)


def test_http_only_when_allowed() -> None:
    assert check_webhook_url("http://127.0.0.1:9000/h", True) == "http://127.0.0.1:9000/h"


def test_a_policy_refuses_forbidden_ip_literals_early() -> None:
    with pytest.raises(InvalidWebhookURL, match="cannot be delivered"):
        check_webhook_url("https://169.254.169.254/latest", False, AddressPolicy())
    assert check_webhook_url("https://hooks.example.com/", False, AddressPolicy())
