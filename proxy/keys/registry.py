"""The keys registry, persisted in object storage so every node (and the local-disk default)
shares it. Where each record lives is proxy/layout.py: a key's record under the hash of its
secret (authenticating is one GET), a pointer from its public id (revoke and rotate by id), a
listing marker per key (proxy/storage/index.py, safe under concurrent writers), and the
project's record (monthly quota).

Records and pointers are written once per key (revoking rewrites a record with the same
outcome whoever wins), so concurrent writers cannot lose them.
"""

from __future__ import annotations

import asyncio
import builtins
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from proxy import layout
from proxy.keys.model import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    ApiKey,
    InvalidInput,
    Project,
    check_burst,
    check_key_id,
    check_label,
    check_monthly_quota,
    check_project,
    check_rate,
    hash_secret,
    is_well_formed_secret,
    new_key_id,
    new_secret,
)
from proxy.storage import Storage
from proxy.storage.documents import CorruptDocument, read_json, write_json
from proxy.storage.index import StoredIndex

__all__ = ["CorruptRecord", "KeyNotFound", "KeyRegistry"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
# The legacy single-document index of ogedge 0.1 may be large.
_LEGACY_INDEX_MAX = 64 * 1024 * 1024
_LIST_CONCURRENCY = 16


class KeyNotFound(LookupError):
    """No key has this id."""


class CorruptRecord(CorruptDocument):
    """A stored registry object exists but cannot be decoded (or names another hash)."""


class _Pointer(msgspec.Struct, frozen=True):
    hash: str


class _LegacyEntry(msgspec.Struct, frozen=True):
    hash: str
    project: str


class _LegacyIndex(msgspec.Struct):
    version: int = 1
    keys: dict[str, _LegacyEntry] = msgspec.field(default_factory=dict)


_T = TypeVar("_T")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class KeyRegistry:
    """Create, look up, list, revoke and rotate API keys; read and set project quotas."""

    def __init__(
        self,
        storage: Storage,
        *,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._storage = storage
        self._now = now
        self._index = StoredIndex(storage, layout.KEY_INDEX)

    async def create(
        self,
        project: str,
        *,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        monthly_quota: int | None = None,
        is_global: bool = False,
        label: str = "",
    ) -> tuple[str, ApiKey]:
        """A new key; the secret is returned here and nowhere else, ever.

        `monthly_quota` sets the project's quota; None keeps the current one (0 for a new project).
        """
        check_project(project)
        rate, burst, label = check_rate(rate), check_burst(burst), check_label(label)
        if monthly_quota is not None:
            check_monthly_quota(monthly_quota)
        now = self._now()
        existing = await self.get_project(project)
        if existing is None:
            await self._put_project(
                Project(name=project, monthly_quota=monthly_quota or 0, created=now, updated=now)
            )
        elif monthly_quota is not None and monthly_quota != existing.monthly_quota:
            await self.set_monthly_quota(project, monthly_quota)
        secret = new_secret()
        key = ApiKey(
            id=new_key_id(),
            hash=hash_secret(secret),
            project=project,
            is_global=bool(is_global),
            rate=rate,
            burst=burst,
            created=now,
            label=label,
        )
        await self._store_new(key)
        return secret, key

    async def get_by_secret(self, secret: str) -> ApiKey | None:
        """The ACTIVE key for this secret; None when malformed, unknown or revoked."""
        if not isinstance(secret, str) or not is_well_formed_secret(secret):
            return None
        key = await self.get_by_hash(hash_secret(secret))
        return key if key is not None and key.active else None

    async def get_by_hash(self, digest: str) -> ApiKey | None:
        """The record stored under this SHA-256 (revoked ones too), or None."""
        if _HEX64.fullmatch(digest) is None:
            return None
        key = await self._read(layout.key_record(digest), ApiKey)
        # The file name is the hash; the record must agree (constant time: it is secret-derived).
        if key is not None and not hmac.compare_digest(key.hash, digest):
            raise CorruptRecord(f"{layout.key_record(digest)} holds the record of another hash")
        return key

    async def get(self, key_id: str) -> ApiKey | None:
        """The record of this public id (revoked ones too), or None."""
        pointer = await self._read(layout.key_pointer(check_key_id(key_id)), _Pointer)
        if pointer is None:
            return None
        key = await self.get_by_hash(pointer.hash)
        if key is not None and key.id != key_id:
            raise CorruptRecord(f"{layout.key_pointer(key_id)} points at the record of {key.id}")
        return key

    # builtins.list: inside this class body, `list` is the method below.
    async def list(self, project: str | None = None) -> builtins.list[ApiKey]:
        """Every indexed key (revoked ones too), oldest first; only `project`'s when given."""
        if project is not None:
            check_project(project)
            ids = set(await self._index.entries(project))
        else:
            ids = {key_id for _, key_id in await self._index.all_entries()}
        legacy = await self._read(layout.LEGACY_KEY_INDEX, _LegacyIndex, _LEGACY_INDEX_MAX)
        if legacy is not None:
            ids |= {i for i, e in legacy.keys.items() if project in (None, e.project)}
        limit = asyncio.Semaphore(_LIST_CONCURRENCY)

        async def fetch(key_id: str) -> ApiKey | None:
            async with limit:
                return await self.get(key_id)

        found = await asyncio.gather(*(fetch(i) for i in ids))
        return sorted((k for k in found if k is not None), key=lambda k: (k.created, k.id))

    async def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (idempotent: an already revoked key keeps its first revocation time)."""
        key = await self.get(key_id)
        if key is None:
            raise KeyNotFound(key_id)
        if not key.active:
            return key
        revoked = msgspec.structs.replace(key, revoked=self._now())
        await write_json(self._storage, layout.key_record(key.hash), revoked)
        return revoked

    async def rotate(self, key_id: str) -> tuple[str, ApiKey]:
        """A new key with the same project and settings; the old one is revoked."""
        old = await self.get(key_id)
        if old is None:
            raise KeyNotFound(key_id)
        if not old.active:
            raise InvalidInput(f"key {key_id} is revoked; create a new key instead")
        secret = new_secret()
        new = msgspec.structs.replace(
            old, id=new_key_id(), hash=hash_secret(secret), created=self._now(), revoked=None
        )
        # New first, then revoke: a failure in between leaves two working keys, never none.
        await self._store_new(new)
        await self.revoke(key_id)
        return secret, new

    async def get_project(self, name: str) -> Project | None:
        return await self._read(layout.project(check_project(name)), Project)

    async def set_monthly_quota(self, name: str, monthly_quota: int) -> Project:
        """Create or update a project's monthly quota (0 = unlimited)."""
        check_monthly_quota(monthly_quota)
        now = self._now()
        current = await self.get_project(name)
        if current is None:
            project = Project(name=name, monthly_quota=monthly_quota, created=now, updated=now)
        else:
            project = msgspec.structs.replace(current, monthly_quota=monthly_quota, updated=now)
        await self._put_project(project)
        return project

    async def _put_project(self, project: Project) -> None:
        await write_json(self._storage, layout.project(project.name), project)

    async def _store_new(self, key: ApiKey) -> None:
        # Record, pointer, listing marker: an interruption leaves at worst a working key nobody
        # holds the secret of (it was never shown), never a marker pointing at nothing.
        await write_json(self._storage, layout.key_record(key.hash), key)
        await write_json(self._storage, layout.key_pointer(key.id), _Pointer(key.hash))
        await self._index.add(key.project, key.id)

    async def _read(self, key: str, kind: type[_T], max_bytes: int | None = None) -> _T | None:
        try:
            if max_bytes is None:
                return await read_json(self._storage, key, kind)
            return await read_json(self._storage, key, kind, max_bytes)
        except CorruptDocument as exc:
            raise CorruptRecord(str(exc)) from exc
