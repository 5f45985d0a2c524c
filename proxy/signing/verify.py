"""Checking a signed render URL: one of the project's active signing keys made `sig` over the
canonical form, and `expires`, when present, has not passed. The only read before the verdict
is the project's signing-key list, cached per worker for a few seconds (so a revocation
reaches every node within `ttl`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from cachetools import TTLCache

from proxy.errors import Forbidden
from proxy.signing.canonical import SIG_LENGTH, signature_matches
from proxy.signing.keys import SigningKeys

__all__ = ["ExpiredSignature", "InvalidSignature", "MissingSignature", "Verifier"]


class InvalidSignature(Forbidden):
    code = "invalid_signature"

    def __init__(self, message: str = "the URL's signature does not match its parameters") -> None:
        super().__init__(message, "sig")


class MissingSignature(InvalidSignature):
    code = "missing_signature"

    def __init__(self) -> None:
        super().__init__("a signed render URL needs its sig parameter (ogedge sign makes one)")


class ExpiredSignature(InvalidSignature):
    code = "expired_signature"

    def __init__(self, expires: int) -> None:
        super().__init__(f"the URL expired at {expires} (Unix time)")


class Verifier:
    def __init__(
        self,
        keys: SigningKeys,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.time,
        maxsize: int = 10_000,
        refresh_after: float = 1.0,
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._refresh_after = refresh_after
        # project -> (active secrets, when read)
        self._secrets: TTLCache[str, tuple[list[str], float]] = TTLCache(maxsize, ttl)

    async def verify(self, project: str, path: str, params: Mapping[str, str]) -> None:
        """Raises MissingSignature, InvalidSignature or ExpiredSignature (403s)."""
        sig = params.get("sig", "")
        if not sig:
            raise MissingSignature()
        if len(sig) != SIG_LENGTH:
            raise InvalidSignature()
        secrets, read_at = await self._active(project)
        if not any(signature_matches(s, path, params, sig) for s in secrets):
            # Perhaps signed with a key made since: look again, at most once a second per
            # project, so a flood of forged URLs cannot turn into a flood of storage reads.
            if self._clock() - read_at < self._refresh_after:
                raise InvalidSignature()
            self._secrets.pop(project, None)
            secrets, _ = await self._active(project)
            if not any(signature_matches(s, path, params, sig) for s in secrets):
                raise InvalidSignature()
        expires = params.get("expires")
        if expires is not None:
            if not expires.isdigit():
                raise InvalidSignature("expires must be a Unix time in seconds")
            if int(expires) < self._clock():
                raise ExpiredSignature(int(expires))

    async def _active(self, project: str) -> tuple[list[str], float]:
        found = self._secrets.get(project)
        if found is None:
            found = self._secrets[project] = (
                await self._keys.active_secrets(project),
                self._clock(),
            )
        return found
