"""The aiohttp connector every guarded fetch goes through.

Two checks on the address, each sufficient on its own for the case it covers:

- GuardedResolver filters what a name resolves to (an answer with one private
  address among public ones still works, using the public ones);
- the socket factory judges the exact sockaddr aiohappyeyeballs is about to
  connect() to. aiohttp skips the resolver for IP-literal hosts, so for those this
  is the check at connect time; for names it is a second look at the same answer.
"""

from __future__ import annotations

import socket

import aiohttp
from aiohappyeyeballs import AddrInfoType, SocketFactoryType
from aiohttp.abc import AbstractResolver

from proxy.netguard.errors import AddressRefused
from proxy.netguard.policy import AddressPolicy
from proxy.netguard.resolver import GuardedResolver

__all__ = ["create_connector", "guarded_socket_factory"]


def guarded_socket_factory(policy: AddressPolicy) -> SocketFactoryType:
    """A TCPConnector socket_factory that refuses to create sockets for refused addresses."""

    def factory(addr_info: AddrInfoType) -> socket.socket:
        family, type_, proto, _canon, sockaddr = addr_info
        host = str(sockaddr[0])
        reason = policy.check_text(host)
        if reason is not None:
            raise AddressRefused(f"{host} is {reason}")
        return socket.socket(family=family, type=type_, proto=proto)

    return factory


def create_connector(
    policy: AddressPolicy, base_resolver: AbstractResolver
) -> aiohttp.TCPConnector:
    """Must be called with the event loop running (aiohttp binds the connector to it)."""
    return aiohttp.TCPConnector(
        resolver=GuardedResolver(base_resolver, policy),
        # A cache would be safe (it holds filtered answers) but would make "each
        # connection is judged on its own lookup" untrue; lookups are cheap next to fetches.
        use_dns_cache=False,
        socket_factory=guarded_socket_factory(policy),
        limit=100,
        # Politeness to any one site: scrapes of one host queue instead of piling on.
        limit_per_host=8,
    )
