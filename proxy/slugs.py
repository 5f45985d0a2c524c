"""Slugs: 12 base62 characters from HMAC-SHA256(server secret, project + spec hash + revision).

Deterministic, so deduplication needs no index: a repeat request derives the same slug and
finds its spec record. The secret keeps slugs unguessable from a spec; `force` renders move to
the next revision, recorded durably, so later identical requests get the newest slug while old
URLs keep serving what they served.
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec
from cachetools import TTLCache

from proxy import layout
from proxy.storage.base import Storage
from proxy.storage.documents import read_json, write_json

__all__ = ["SLUG_LENGTH", "Revisions", "derive_slug"]

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SLUG_LENGTH = 12


def derive_slug(secret: bytes, project: str, spec_hash: str, revision: int) -> str:
    message = f"{project}\x00{spec_hash}\x00{revision}".encode()
    n = int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest(), "big")
    chars = []
    for _ in range(SLUG_LENGTH):  # 62^12 ~ 2^71: collisions are not a practical concern
        n, digit = divmod(n, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


class _Revision(msgspec.Struct):
    revision: int


class Revisions:
    """The current revision per (project, spec hash), kept in storage beside the cards.

    Every dedup hit needs it, and it changes only when someone forces a new render, so each
    worker remembers it for `ttl` seconds: a force on another node is seen within that time
    (this node's answer meanwhile is the previous card, which keeps serving)."""

    def __init__(self, storage: Storage, ttl: float = 2.0, maxsize: int = 100_000) -> None:
        self._storage = storage
        self._known: TTLCache[tuple[str, str], int] = TTLCache(maxsize, ttl)

    async def current(self, project: str, spec_hash: str) -> int:
        known = self._known.get((project, spec_hash))
        if known is not None:
            return known
        found = await read_json(self._storage, layout.revision(project, spec_hash), _Revision)
        revision = self._known[(project, spec_hash)] = 0 if found is None else found.revision
        return revision

    async def advance(self, project: str, spec_hash: str) -> int:
        self._known.pop((project, spec_hash), None)
        revision = await self.current(project, spec_hash) + 1
        await write_json(self._storage, layout.revision(project, spec_hash), _Revision(revision))
        self._known[(project, spec_hash)] = revision
        return revision
