"""Which IP addresses an outbound fetch may connect to.

The tables follow the IANA special-purpose address registries (RFC 6890 and its
updates). They are written out rather than taken from `ipaddress`'s `is_private` /
`is_global`, whose meaning has changed between Python releases: a security boundary
should not move with an interpreter upgrade.

`allow_private` (OGEDGE_FETCH_ALLOW_PRIVATE, development and tests only) lets through
loopback and the private ranges (RFC 1918, fc00::/7) and nothing else. Link-local
(169.254.0.0/16, fe80::/10) stays refused even then: that is where cloud metadata
services live (169.254.169.254, 169.254.170.2), and no development setup needs it.
CGNAT stays refused too (Alibaba Cloud's metadata is 100.100.100.200). AWS's IPv6
metadata address fd00:ec2::254 sits inside fc00::/7, so it is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

__all__ = ["AddressPolicy", "IPAddress", "is_forbidden", "parse_ip"]

IPAddress = IPv4Address | IPv6Address

# (network, reason, may allow_private let it through?) — first match wins, so the
# more specific rows come first.
_V4: tuple[tuple[IPv4Network, str, bool], ...] = tuple(
    (IPv4Network(net), reason, private)
    for net, reason, private in (
        ("255.255.255.255/32", "the limited broadcast address (RFC 919)", False),
        # Linux routes a connect() to 0.0.0.0 to the local host: as dangerous as loopback.
        ("0.0.0.0/8", "a 'this network' address (RFC 791, RFC 6890)", False),
        ("10.0.0.0/8", "a private address (RFC 1918)", True),
        ("100.64.0.0/10", "a shared CGNAT address (RFC 6598)", False),
        ("127.0.0.0/8", "a loopback address (RFC 1122)", True),
        ("169.254.0.0/16", "a link-local address, home of cloud metadata (RFC 3927)", False),
        ("172.16.0.0/12", "a private address (RFC 1918)", True),
        ("192.0.0.0/24", "an IETF protocol assignment (RFC 6890)", False),
        ("192.0.2.0/24", "a documentation address (RFC 5737)", False),
        ("192.88.99.0/24", "a deprecated 6to4 relay anycast address (RFC 7526)", False),
        ("192.168.0.0/16", "a private address (RFC 1918)", True),
        ("198.18.0.0/15", "a benchmarking address (RFC 2544)", False),
        ("198.51.100.0/24", "a documentation address (RFC 5737)", False),
        ("203.0.113.0/24", "a documentation address (RFC 5737)", False),
        ("224.0.0.0/4", "a multicast address (RFC 5771)", False),
        ("240.0.0.0/4", "a reserved address (RFC 1112)", False),
    )
)

_V6: tuple[tuple[IPv6Network, str, bool], ...] = tuple(
    (IPv6Network(net), reason, private)
    for net, reason, private in (
        ("::/128", "the unspecified address (RFC 4291)", False),
        ("::1/128", "a loopback address (RFC 4291)", True),
        # RFC 4291 §2.5.5.1: deprecated, and routes nowhere public; the embedded
        # IPv4 address would be reached by some stacks, so refuse the whole block.
        ("::/96", "a deprecated IPv4-compatible address (RFC 4291)", False),
        # RFC 8215: local-use NAT64 prefix. Where the IPv4 address sits inside it
        # depends on a prefix length only the local operator knows (RFC 6052 §2.2),
        # so it cannot be checked; it is local by definition anyway.
        ("64:ff9b:1::/48", "a local-use NAT64 address (RFC 8215)", False),
        ("100::/64", "a discard-only address (RFC 6666)", False),
        # RFC 4380: the embedded IPv4 client address is obfuscated and the server
        # part is a relay; nothing a fetch needs, so refuse rather than decode.
        ("2001::/32", "a Teredo address (RFC 4380)", False),
        ("2001::/23", "an IETF protocol assignment (RFC 2928, RFC 6890)", False),
        ("2001:db8::/32", "a documentation address (RFC 3849)", False),
        ("3fff::/20", "a documentation address (RFC 9637)", False),
        ("5f00::/16", "an SRv6 SID (RFC 9602)", False),
        ("fc00::/7", "a unique-local (private) address (RFC 4193)", True),
        ("fe80::/10", "a link-local address (RFC 4291)", False),
        ("fec0::/10", "a deprecated site-local address (RFC 3879)", False),
        ("ff00::/8", "a multicast address (RFC 4291)", False),
    )
)

# Forms that carry an IPv4 address: the verdict is the embedded address's.
_MAPPED = IPv6Network("::ffff:0:0/96")  # RFC 4291 §2.5.5.2
_NAT64 = IPv6Network("64:ff9b::/96")  # RFC 6052 §2.1, address in the last 32 bits
_SIX_TO_FOUR = IPv6Network("2002::/16")  # RFC 3056 §2, address in bits 16-47
# IANA allocates global unicast only from 2000::/3 (RFC 4291 §2.4); the rest is reserved.
_GLOBAL_UNICAST = IPv6Network("2000::/3")

# Refused even with allow_private: metadata services inside ranges it opens.
_METADATA: frozenset[IPAddress] = frozenset({IPv6Address("fd00:ec2::254")})


def is_forbidden(ip: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why a fetch must not connect to `ip` ("a loopback address (RFC 1122)"), or None."""
    if isinstance(ip, IPv6Address) and ip.scope_id:
        # A zone (fe80::1%eth0) changes equality, not routing: judge the bare address.
        ip = IPv6Address(int(ip))
    if ip in _METADATA:
        return "a cloud metadata address"
    if isinstance(ip, IPv4Address):
        return _lookup(ip, _V4, allow_private)
    # A mapped address is the IPv4 host itself on a dual-stack socket, so
    # allow_private applies as for IPv4. NAT64 and 6to4 go through a translator or
    # relay elsewhere, never to this machine or its LAN: judged strictly.
    for net, embedded, lenient in (
        (_MAPPED, ip.ipv4_mapped, allow_private),
        (_NAT64, IPv4Address(int(ip) & 0xFFFF_FFFF), False),
        (_SIX_TO_FOUR, ip.sixtofour, False),
    ):
        if ip in net and embedded is not None:
            inner = _lookup(embedded, _V4, lenient)
            return f"an IPv6 form of {embedded}, {inner}" if inner else None
    reason = _lookup(ip, _V6, allow_private)
    if reason is None and ip not in _GLOBAL_UNICAST and not _private_ok(ip, allow_private):
        return "a reserved address outside 2000::/3 (RFC 4291)"
    return reason


def _lookup(
    ip: IPAddress,
    table: tuple[tuple[IPv4Network, str, bool], ...] | tuple[tuple[IPv6Network, str, bool], ...],
    allow_private: bool,
) -> str | None:
    for net, reason, private in table:
        if ip in net:
            return None if private and allow_private else reason
    return None


def _private_ok(ip: IPv6Address, allow_private: bool) -> bool:
    # Rows that allow_private opens (::1, fc00::/7) lie outside 2000::/3 too.
    return allow_private and any(private and ip in net for net, _, private in _V6)


def parse_ip(text: str) -> IPAddress | None:
    """A strict IP literal (an IPv6 zone like %eth0 allowed), or None for anything else."""
    try:
        return ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """The policy one client applies at every layer (URL, resolver, socket)."""

    allow_private: bool = False
    # Exact addresses let through whatever the tables say: a hook for tests that
    # must reach one local server while everything else stays refused.
    allow: frozenset[IPAddress] = frozenset()

    def check(self, ip: IPAddress) -> str | None:
        if ip in self.allow:
            return None
        return is_forbidden(ip, allow_private=self.allow_private)

    def check_text(self, text: str) -> str | None:
        """Like `check` for a socket address string; anything not an IP literal is refused."""
        ip = parse_ip(text)
        if ip is None:
            return f"{text!r} is not an IP address"
        return self.check(ip)
