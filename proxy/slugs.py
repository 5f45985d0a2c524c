"""Slugs: 12 base62 characters from HMAC-SHA256(server secret, project + spec hash + revision).

Deterministic, so deduplication needs no index: a repeat request derives the same slug and
finds its spec record. The secret keeps slugs unguessable from a spec; `force` renders move to
the next revision, recorded durably, so later identical requests get the newest slug while old
URLs keep serving what they served.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets

import msgspec

from proxy.storage.base import ObjectNotFound, Storage, read_bytes

__all__ = ["Revisions", "derive_slug", "load_secret"]

log = logging.getLogger("ogedge.slugs")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SLUG_LENGTH = 12
_SECRET_KEY = "system/secret"
_SMALL = 4096  # a secret or a revision record


def derive_slug(secret: bytes, project: str, spec_hash: str, revision: int) -> str:
    message = f"{project}\x00{spec_hash}\x00{revision}".encode()
    n = int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest(), "big")
    chars = []
    for _ in range(SLUG_LENGTH):  # 62^12 ~ 2^71: collisions are not a practical concern
        n, digit = divmod(n, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


async def load_secret(configured: str, storage: Storage) -> bytes:
    """OGEDGE_SECRET, or one generated on first start and kept in storage beside the images.

    Two nodes starting at once on an empty store may both write; each re-reads what storage
    kept, so they converge. Multi-node deployments should set OGEDGE_SECRET anyway.
    """
    if configured:
        return configured.encode()
    try:
        return await _read(storage)
    except ObjectNotFound:
        await storage.put(_SECRET_KEY, secrets.token_urlsafe(32).encode(), "text/plain")
        log.warning("OGEDGE_SECRET is not set: generated one and stored it at %s", _SECRET_KEY)
        return await _read(storage)


async def _read(storage: Storage) -> bytes:
    return (await read_bytes(storage, _SECRET_KEY, _SMALL)).strip()


class _Revision(msgspec.Struct):
    revision: int


class Revisions:
    """The current revision per (project, spec hash), in storage: `revisions/<p>/<hash>.json`."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    @staticmethod
    def key(project: str, spec_hash: str) -> str:
        return f"revisions/{project}/{spec_hash}.json"

    async def current(self, project: str, spec_hash: str) -> int:
        try:
            raw = await read_bytes(self._storage, self.key(project, spec_hash), _SMALL)
        except ObjectNotFound:
            return 0
        return msgspec.json.decode(raw, type=_Revision).revision

    async def advance(self, project: str, spec_hash: str) -> int:
        revision = await self.current(project, spec_hash) + 1
        await self._storage.put(
            self.key(project, spec_hash),
            msgspec.json.encode(_Revision(revision)),
            "application/json",
        )
        return revision
