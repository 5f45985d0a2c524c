"""The client address a request is accounted to.

X-Forwarded-For is believed only when the TCP peer is a configured trusted proxy, and then
read right to left, skipping trusted hops: the left-most entries are whatever the client
chose to send, so the first untrusted hop from the right is the real client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["ClientIP"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientIP:
    def __init__(self, trusted: Iterable[str]) -> None:
        self._trusted: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(t, strict=False) for t in trusted
        )

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        if not self._trusted or forwarded_for is None or not self._is_trusted(peer):
            return peer
        for hop in reversed(forwarded_for.split(",")):
            hop = hop.strip()
            if not hop:
                continue
            if not self._is_trusted(hop):
                return _valid(hop) or peer
        return peer

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._trusted)

    @staticmethod
    def limit_key(ip: str) -> str:
        """The rate-limit key: the address, or its /64 for IPv6, since one host owns a /64."""
        if ":" not in ip:
            return ip
        try:
            net = ipaddress.ip_network(f"{ip}/64", strict=False)
        except ValueError:
            return ip
        return str(net)


def _valid(hop: str) -> str | None:
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None
