"""Checks on a URL before any connection: scheme, userinfo, and IP-literal hosts.

These run on the first URL and on every redirect target. They are the early, clear
refusal; the resolver and the socket factory (connector.py) still check the address
actually connected to, so nothing here has to be the last line of defence.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from yarl import URL

from proxy.netguard.errors import ForbiddenAddress, InvalidURL
from proxy.netguard.policy import AddressPolicy, parse_ip

__all__ = ["check_url", "legacy_ipv4"]

_SCHEMES = frozenset({"http", "https"})


def check_url(url: str | URL, policy: AddressPolicy) -> URL:
    """The parsed URL if it may be fetched; InvalidURL or ForbiddenAddress otherwise."""
    text = str(url)
    try:
        parsed = url if isinstance(url, URL) else URL(url)
    except (ValueError, TypeError) as exc:
        raise InvalidURL(f"not a valid URL ({exc})", text) from exc
    scheme = parsed.scheme.lower()
    if scheme not in _SCHEMES:
        shown = f"{scheme}:" if scheme else "a relative URL"
        raise InvalidURL(f"only http and https URLs are fetched, not {shown}", text)
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise InvalidURL("URLs with a user name or password are refused", text)
    host = parsed.raw_host
    if not host:
        raise InvalidURL("the URL has no host", text)
    try:
        port = parsed.port
    except ValueError as exc:
        raise InvalidURL("the URL has an invalid port", text) from exc
    if port is not None and not 0 < port < 65536:
        raise InvalidURL("the URL has an invalid port", text)
    _check_host(host, text, policy)
    # The fragment is never sent; dropping it keeps redirects and errors tidy.
    return parsed.with_fragment(None)


def _check_host(host: str, text: str, policy: AddressPolicy) -> None:
    ip = parse_ip(host)
    if ip is not None:
        reason = policy.check(ip)
        if reason:
            raise ForbiddenAddress(f"{host} is {reason}", text)
        return
    legacy = legacy_ipv4(host)
    if legacy is None:
        return  # a name: the resolver and socket factory judge what it resolves to
    if isinstance(legacy, str):
        raise InvalidURL(f"{host!r} is not a valid IPv4 address ({legacy})", text)
    reason = policy.check(legacy)
    if reason:
        raise ForbiddenAddress(f"{host} means {legacy}, {reason}", text)
    # getaddrinfo() would accept it, browsers rewrite it; we ask for the plain form.
    raise InvalidURL(f"write the IPv4 address {host!r} as {legacy}", text)


def legacy_ipv4(host: str) -> IPv4Address | str | None:
    """Read `host` as the WHATWG URL standard's IPv4 parser does (127.1, 0x7f000001, 0177.0.0.1).

    None if the host is a name; an error text if it looks numeric but is malformed.
    inet_aton() - and so getaddrinfo() - reads these forms too, so a host like
    "2130706433" is an address, not a name, and must be judged as one.
    """
    labels = host.lower().split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()  # one trailing dot is allowed
    last = labels[-1]
    if not last or not (last.isdigit() or (last.startswith("0x") and _is_hex(last[2:]))):
        return None  # WHATWG "ends in a number" is false: a domain name
    if len(labels) > 4:
        return "too many parts"
    numbers: list[int] = []
    for label in labels:
        value = _number(label)
        if value is None:
            return f"{label!r} is not a number"
        numbers.append(value)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return "a part is out of range"
    total = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        total += n << (8 * (3 - i))
    return IPv4Address(total)


def _number(label: str) -> int | None:
    if not label or not label.isascii():
        return None
    if label.startswith("0x"):
        digits = label[2:]
        return int(digits or "0", 16) if _is_hex(digits) else None
    if len(label) > 1 and label.startswith("0"):
        return int(label[1:], 8) if all(c in "01234567" for c in label[1:]) else None
    return int(label) if label.isdigit() else None


def _is_hex(text: str) -> bool:
    return text.isascii() and all(c in "0123456789abcdef" for c in text)
