"""The address policy and the URL checks, without any network."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address

import pytest

from proxy.netguard import AddressPolicy, ForbiddenAddress, InvalidURL, is_forbidden
from proxy.netguard.urls import check_url, legacy_ipv4

REFUSED = [
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "100.64.0.1",
    "100.100.100.200",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "169.254.170.2",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.170",
    "192.0.2.1",
    "192.88.99.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.19.255.255",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::7f00:1",
    "::808:808",  # IPv4-compatible, even of a public address: deprecated
    "::ffff:127.0.0.1",
    "::ffff:a9fe:a9fe",
    "::ffff:10.1.2.3",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::808:808",
    "100::1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:2::1",
    "2001:db8::1",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::1",
    "2002:c0a8:101::",
    "3fff::1",
    "5f00::1",
    "fc00::1",
    "fd12:3456::1",
    "fd00:ec2::254",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "4000::1",
]

ALLOWED = [
    "1.1.1.1",
    "8.8.8.8",
    "93.184.215.14",
    "100.63.255.255",
    "100.128.0.0",
    "172.32.0.1",
    "198.20.0.1",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "2002:808:808::1",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused(text: str) -> None:
    assert is_forbidden(ip_address(text)) is not None


@pytest.mark.parametrize("text", ALLOWED)
def test_public_allowed(text: str) -> None:
    assert is_forbidden(ip_address(text)) is None


@pytest.mark.parametrize(
    "text",
    ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "::1", "fc00::1", "::ffff:127.0.0.1"],
)
def test_allow_private_opens_loopback_and_private(text: str) -> None:
    assert is_forbidden(ip_address(text)) is not None
    assert is_forbidden(ip_address(text), allow_private=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "169.254.169.254",  # cloud metadata: never, even in development
        "::ffff:169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",  # AWS's IPv6 metadata, inside fc00::/7
        "100.100.100.200",  # Alibaba's metadata, inside CGNAT
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "255.255.255.255",
        "64:ff9b::7f00:1",  # translated elsewhere: not this machine's loopback
        "2002:7f00:1::",
        "2001::1",
    ],
)
def test_allow_private_keeps_the_rest_refused(text: str) -> None:
    assert is_forbidden(ip_address(text), allow_private=True) is not None


def test_reasons_name_the_category() -> None:
    assert "loopback" in (is_forbidden(ip_address("127.0.0.1")) or "")
    assert "metadata" in (is_forbidden(ip_address("169.254.169.254")) or "")
    reason = is_forbidden(ip_address("::ffff:10.0.0.1")) or ""
    assert "10.0.0.1" in reason and "RFC 1918" in reason


def test_exact_allowlist_is_exact() -> None:
    policy = AddressPolicy(allow=frozenset({IPv4Address("127.0.0.1")}))
    assert policy.check(IPv4Address("127.0.0.1")) is None
    assert policy.check(IPv4Address("127.0.0.2")) is not None
    assert policy.check_text("not-an-ip") is not None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("1.16777215", "1.255.255.255"),
    ],
)
def test_legacy_ipv4_forms(host: str, expected: str) -> None:
    assert legacy_ipv4(host) == IPv4Address(expected)


@pytest.mark.parametrize("host", ["example.com", "xn--bcher-kva.example", "1.2.3.4a", "0xg"])
def test_names_are_not_ipv4(host: str) -> None:
    assert legacy_ipv4(host) is None


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "08.1.1.1", "256.1.1.1", "1.16777216", "0x1g.1", "a.0x"]
)
def test_malformed_numeric_hosts(host: str) -> None:
    assert isinstance(legacy_ipv4(host), str)


def test_public_legacy_form_must_be_written_plainly() -> None:
    with pytest.raises(InvalidURL, match=r"as 8\.8\.8\.8"):
        check_url("http://134744072/", AddressPolicy())


def test_legacy_form_of_a_private_address_is_forbidden() -> None:
    with pytest.raises(ForbiddenAddress, match=r"127\.0\.0\.1"):
        check_url("http://0x7f.1/", AddressPolicy(allow_private=False))


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/",
        "gopher://example.com:70/_x",
        "dict://example.com:11211/",
        "//example.com/",
        "http:///path",
        "http://user:secret@example.com/",
        "http://user@example.com/",
        "http://:secret@example.com/",
        "http://example.com:0/",
    ],
)
def test_urls_refused(url: str) -> None:
    with pytest.raises(InvalidURL) as info:
        check_url(url, AddressPolicy())
    assert "secret" not in str(info.value)


def test_plain_urls_pass() -> None:
    assert str(check_url("HTTPS://Example.COM/a?b#frag", AddressPolicy())) == (
        "https://example.com/a?b"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://admin:hunter2@example.com/x",
        "http://admin:hunter2@example.com?q=1",
        "http://admin:hunter2@example.com#f",
        "http://a:hunter2@b@example.com/",
    ],
)
def test_error_urls_never_carry_userinfo(url: str) -> None:
    error = InvalidURL("x", url)
    assert "hunter2" not in error.url and "example.com" in error.url
