"""Who renders a slug: one process across all workers and nodes.

Within a process callers coalesce on their own; across processes a Redis lock (SET NX PX,
released by token) elects the renderer and the others wait for its result. Redis down or
frozen: every process may render (at most one each), which wastes a little CPU but never
blocks an image on a dead Redis.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from proxy.state import SharedState, StateUnavailable

__all__ = ["SlugLock"]

_RELEASE = resources.files("proxy").joinpath("lock_release.lua").read_text()


class SlugLock:
    def __init__(self, state: SharedState, ttl: float) -> None:
        self._state = state
        self._ttl_ms = int(ttl * 1000)
        self._release = state.script(_RELEASE)

    def key(self, slug: str) -> str:
        return self._state.key("render", slug)

    @asynccontextmanager
    async def hold(self, slug: str) -> AsyncIterator[bool]:
        """Yield True when this process should render `slug` (it holds the lock, or Redis
        cannot tell), False when another process holds it."""
        token = secrets.token_hex(16)
        key = self.key(slug)
        client = self._state.client
        try:
            owner = bool(
                await self._state.call(lambda: client.set(key, token, nx=True, px=self._ttl_ms))
            )
            held = owner
        except StateUnavailable:
            owner, held = True, False  # render locally rather than wait on nobody
        try:
            yield owner
        finally:
            if held:
                with contextlib.suppress(StateUnavailable):  # else it expires by itself
                    await self._state.call(lambda: self._release(keys=[key], args=[token]))
