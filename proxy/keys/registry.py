"""The keys registry, persisted in object storage so every node (and the local-disk default) shares it.

Layout, under the storage root or bucket prefix:

    keys/<sha256>.json      the ApiKey record: authenticating a secret is one GET by its hash
    keys/by-id/<id>.json    {"hash": ...}: revoke / rotate by public id, one GET, no index needed
    keys/index.json         {id: {hash, project}}: what `list` reads (Storage has no list operation)
    projects/<name>.json    the Project record (monthly quota)

Concurrency. Records and by-id pointers are written once per key (revoking rewrites a record with
the same outcome whoever wins), so concurrent writers cannot lose them. The index is a
read-modify-write without compare-and-swap (the Storage Protocol has none): writers in one process
are serialised by a lock, and each writer re-reads the index after writing and writes again if a
concurrent writer's copy dropped its entry, checking once more after `index_settle` seconds. That
closes the race as long as every index read-modify-write (one GET, one PUT) completes within
`index_settle` (0.25 s); a slower one (an S3 retry storm) can still drop another process's fresh
entry. Such a key still authenticates and can be revoked or rotated by id (through its pointer);
only `list` misses it. Keys are created by an operator, rarely, so this limit is accepted rather
than adding conditional writes to every backend.
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
from proxy.storage import (
    ObjectNotFound,
    ObjectTooLarge,
    Storage,
    StorageError,
    StorageUnavailable,
    read_bytes,
)

__all__ = ["INDEX_KEY", "INDEX_SETTLE", "CorruptRecord", "KeyNotFound", "KeyRegistry"]

INDEX_KEY = "keys/index.json"
_JSON = "application/json"
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Records are tiny; the cap only stops a damaged or hostile object from exhausting memory.
_RECORD_MAX = 64 * 1024
_INDEX_MAX = 64 * 1024 * 1024
_INDEX_WRITES = 8
# Longer than an index read-modify-write takes (a GET and a PUT): see _add_to_index.
INDEX_SETTLE = 0.25
_LIST_CONCURRENCY = 16


class KeyNotFound(LookupError):
    """No key has this id."""


class CorruptRecord(StorageError):
    """A stored registry object exists but cannot be decoded (or names another hash)."""


class _Pointer(msgspec.Struct, frozen=True):
    hash: str


class _IndexEntry(msgspec.Struct, frozen=True):
    hash: str
    project: str


class _Index(msgspec.Struct):
    version: int = 1
    keys: dict[str, _IndexEntry] = msgspec.field(default_factory=dict)


_encode = msgspec.json.Encoder().encode
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
        index_settle: float = INDEX_SETTLE,
    ) -> None:
        self._storage = storage
        self._now = now
        self._settle = index_settle
        self._index_lock = asyncio.Lock()

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
        key = await self._read(f"keys/{digest}.json", ApiKey, _RECORD_MAX)
        # The file name is the hash; the record must agree (constant time: it is secret-derived).
        if key is not None and not hmac.compare_digest(key.hash, digest):
            raise CorruptRecord(f"keys/{digest}.json holds the record of another hash")
        return key

    async def get(self, key_id: str) -> ApiKey | None:
        """The record of this public id (revoked ones too), or None."""
        pointer = await self._read(f"keys/by-id/{check_key_id(key_id)}.json", _Pointer, _RECORD_MAX)
        if pointer is None:
            return None
        key = await self.get_by_hash(pointer.hash)
        if key is not None and key.id != key_id:
            raise CorruptRecord(f"keys/by-id/{key_id}.json points at the record of {key.id}")
        return key

    # builtins.list: inside this class body, `list` is the method below.
    async def list(self, project: str | None = None) -> builtins.list[ApiKey]:
        """Every indexed key (revoked ones too), oldest first; only `project`'s when given."""
        if project is not None:
            check_project(project)
        index = await self._read_index()
        hashes = [e.hash for e in index.keys.values() if project in (None, e.project)]
        limit = asyncio.Semaphore(_LIST_CONCURRENCY)

        async def fetch(digest: str) -> ApiKey | None:
            async with limit:
                return await self.get_by_hash(digest)

        found = await asyncio.gather(*(fetch(h) for h in hashes))
        return sorted((k for k in found if k is not None), key=lambda k: (k.created, k.id))

    async def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (idempotent: an already revoked key keeps its first revocation time)."""
        key = await self.get(key_id)
        if key is None:
            raise KeyNotFound(key_id)
        if not key.active:
            return key
        revoked = msgspec.structs.replace(key, revoked=self._now())
        await self._storage.put(f"keys/{key.hash}.json", _encode(revoked), _JSON)
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
        return await self._read(f"projects/{check_project(name)}.json", Project, _RECORD_MAX)

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
        await self._storage.put(f"projects/{project.name}.json", _encode(project), _JSON)

    async def _store_new(self, key: ApiKey) -> None:
        # Record, pointer, index: an interruption leaves at worst a working key nobody holds the
        # secret of (it was never shown), never an index entry pointing at nothing.
        await self._storage.put(f"keys/{key.hash}.json", _encode(key), _JSON)
        await self._storage.put(f"keys/by-id/{key.id}.json", _encode(_Pointer(key.hash)), _JSON)
        await self._add_to_index(key)

    async def _add_to_index(self, key: ApiKey) -> None:
        entry = _IndexEntry(key.hash, key.project)
        writes = 0
        seen = False
        async with self._index_lock:
            while True:
                index = await self._read_index()
                if index.keys.get(key.id) == entry:
                    if seen:
                        return
                    # Seen once; look again after `settle`. A writer that read the index before
                    # our put drops our entry when its own put lands, within its read-to-write
                    # time; settle is chosen longer than that, so the second look catches it.
                    seen = True
                    await asyncio.sleep(self._settle)
                    continue
                if writes == _INDEX_WRITES:
                    raise StorageUnavailable(f"{INDEX_KEY} keeps changing under concurrent writers")
                seen = False
                index.keys[key.id] = entry
                await self._storage.put(INDEX_KEY, _encode(index), _JSON)
                writes += 1

    async def _read_index(self) -> _Index:
        return await self._read(INDEX_KEY, _Index, _INDEX_MAX) or _Index()

    async def _read(self, key: str, kind: type[_T], max_bytes: int) -> _T | None:
        try:
            data = await read_bytes(self._storage, key, max_bytes)
        except ObjectNotFound:
            return None
        except ObjectTooLarge as exc:
            raise CorruptRecord(str(exc)) from exc
        try:
            return msgspec.json.decode(data, type=kind)
        except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
            raise CorruptRecord(f"{key}: {exc}") from exc
