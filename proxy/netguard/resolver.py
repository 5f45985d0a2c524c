"""A resolver that hands aiohttp only the addresses the policy allows.

aiohttp's TCPConnector resolves a host once per new connection and connects to
exactly the list its resolver returned (`_create_direct_connection` turns that list
into the addr_infos given to aiohappyeyeballs; nothing resolves the name again).
So the answer filtered here is the answer connected to, and a DNS server that
answers "public" now and "private" a moment later (rebinding) gains nothing: each
connection is judged on its own lookup. The connector runs with its DNS cache off
(connector.py) so the rule stays that simple.
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from proxy.netguard.errors import AddressRefused
from proxy.netguard.policy import AddressPolicy

__all__ = ["GuardedResolver"]


class GuardedResolver(AbstractResolver):
    """Wraps a real resolver (injectable, so tests exercise this very path)."""

    def __init__(self, base: AbstractResolver, policy: AddressPolicy) -> None:
        self._base = base
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._base.resolve(host, port, family)
        kept: list[ResolveResult] = []
        reasons: list[str] = []
        for answer in answers:
            reason = self._policy.check_text(answer["host"])
            if reason is None:
                kept.append(answer)
            elif reason not in reasons:
                reasons.append(reason)
        if not kept:
            # Categories only, not the addresses: an internal name's address is
            # nothing to echo back to whoever submitted the URL.
            raise AddressRefused(f"{host} resolves only to refused addresses: {'; '.join(reasons)}")
        return kept

    async def close(self) -> None:
        await self._base.close()
