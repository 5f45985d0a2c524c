"""The storage seam: one small Protocol every backend implements.

Keys are relative, '/'-separated paths such as ``images/<slug>/card.png``; a backend
maps them under its own root (a directory, or a bucket + prefix).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import msgspec

__all__ = [
    "CHUNK_SIZE",
    "InvalidKey",
    "InvalidMetadata",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectTooLarge",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "check_content_type",
    "check_key",
    "check_metadata",
    "check_prefix",
    "read_bytes",
]

# One chunk of a streamed object; small enough to keep memory flat, large enough for few syscalls.
CHUNK_SIZE = 64 * 1024


class StorageError(Exception):
    """Base of every storage failure."""


class ObjectNotFound(StorageError):
    """The key does not exist."""


class StorageUnavailable(StorageError):
    """The backend is down, slow or failed mid-stream: worth a 503 and a retry."""


class ObjectTooLarge(StorageError):
    """A small object (a record, a secret, a template) is larger than its reader allows."""


class InvalidKey(StorageError, ValueError):
    """A key that could escape the root or is otherwise malformed (a programming error)."""


class InvalidMetadata(StorageError, ValueError):
    """A content type or user metadata that S3 could not store as-is (a programming error)."""


class ObjectInfo(msgspec.Struct, frozen=True):
    """What `head` knows about an object without reading it."""

    size: int
    content_type: str
    # User metadata given to `put` (string keys and values, lower-case keys).
    metadata: Mapping[str, str]
    # Unix seconds of the last write.
    modified: float


class Storage(Protocol):
    """The four operations the service needs from an object store."""

    name: str

    async def head(self, key: str) -> ObjectInfo:
        """Metadata only. Raises ObjectNotFound, StorageUnavailable."""
        ...

    def open(
        self, key: str
    ) -> AbstractAsyncContextManager[tuple[ObjectInfo, AsyncIterator[bytes]]]:
        """Stream an object in chunks; the body is always released when the block exits.

        Raises ObjectNotFound on enter; StorageUnavailable on enter or while iterating.
        """
        ...

    async def put(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        """Write atomically: readers see the old object or the whole new one, never a part."""
        ...

    async def put_if_absent(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> bool:
        """Write only if `key` does not exist yet, atomically: of any number of concurrent
        creators, in any process or node, exactly one gets True; the others get False and
        leave the winner's object untouched."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; deleting a missing key is not an error."""
        ...

    async def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[str]:
        """Up to `limit` keys under `prefix` (a folder: it ends with '/'), in lexicographic
        order, after `start_after` when given."""
        ...

    def local_path(self, key: str) -> str | None:
        """The file holding `key` when the backend is a local directory, for a server to send
        it straight from the page cache (ASGI pathsend); None for remote backends. The file
        may be replaced at any time: callers check it before use."""
        ...

    async def ping(self) -> None:
        """Cheap reachability check for /readyz. Raises StorageUnavailable."""
        ...

    async def close(self) -> None:
        """Release clients and pools (called once at shutdown)."""
        ...


def check_prefix(prefix: str) -> str:
    """A folder to list: a valid key followed by '/'."""
    if not prefix.endswith("/"):
        raise InvalidKey(f"invalid storage prefix {prefix!r}: it must end with '/'")
    check_key(prefix[:-1])
    return prefix


def check_key(key: str) -> str:
    """Reject keys that are absolute, empty, contain '..' / '.' segments, NUL or backslashes."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKey(f"invalid storage key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


# Metadata travels as x-amz-meta-<key> HTTP headers on S3: keys are case-insensitive there (so we
# require lower case), underscores are dropped by some proxies, values must be printable ASCII, and
# S3 caps user metadata at 2 KB. Checking in both backends keeps local and S3 interchangeable.
_META_KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")
_META_MAX_BYTES = 2048


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Return a plain copy of `metadata` or raise InvalidMetadata."""
    clean = dict(metadata or {})
    total = 0
    for name, value in clean.items():
        if not isinstance(name, str) or not _META_KEY.fullmatch(name):
            raise InvalidMetadata(f"metadata key {name!r}: lower-case letters, digits and '-'")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            raise InvalidMetadata(f"metadata value of {name!r}: printable ASCII only")
        total += len(name) + len(value)
    if total > _META_MAX_BYTES:
        raise InvalidMetadata(f"metadata is {total} bytes; S3 allows {_META_MAX_BYTES}")
    return clean


def check_content_type(content_type: str) -> str:
    """A non-empty, printable-ASCII media type (it becomes an HTTP header verbatim)."""
    if not content_type or not _HEADER_VALUE.fullmatch(content_type):
        raise InvalidMetadata(f"invalid content type {content_type!r}")
    return content_type


async def read_bytes(storage: Storage, key: str, max_bytes: int) -> bytes:
    """A small object, whole. Raises ObjectNotFound, ObjectTooLarge, StorageUnavailable.

    The size is checked on the way in, not only from metadata, so a lying or growing object
    cannot make a reader buffer more than `max_bytes`.
    """
    parts: list[bytes] = []
    size = 0
    async with storage.open(key) as (info, chunks):
        if info.size > max_bytes:
            raise ObjectTooLarge(f"{key} is {info.size} bytes; at most {max_bytes} expected")
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise ObjectTooLarge(f"{key} is over {max_bytes} bytes")
            parts.append(chunk)
    return b"".join(parts)
