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
    """The current revision per (project, spec hash), kept in storage beside the cards."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def current(self, project: str, spec_hash: str) -> int:
        found = await read_json(self._storage, layout.revision(project, spec_hash), _Revision)
        return 0 if found is None else found.revision

    async def advance(self, project: str, spec_hash: str) -> int:
        revision = await self.current(project, spec_hash) + 1
        await write_json(self._storage, layout.revision(project, spec_hash), _Revision(revision))
        return revision
