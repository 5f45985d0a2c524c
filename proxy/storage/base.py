"""The storage seam: one small Protocol every backend implements.

Keys are relative, '/'-separated paths such as ``images/<slug>/card.png``; a backend
maps them under its own root (a directory, or a bucket + prefix).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import msgspec

__all__ = [
    "InvalidKey",
    "ObjectInfo",
    "ObjectNotFound",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "check_key",
]

# One chunk of a streamed object; small enough to keep memory flat, large enough for few syscalls.
CHUNK_SIZE = 64 * 1024


class StorageError(Exception):
    """Base of every storage failure."""


class ObjectNotFound(StorageError):
    """The key does not exist."""


class StorageUnavailable(StorageError):
    """The backend is down, slow or failed mid-stream: worth a 503 and a retry."""


class InvalidKey(StorageError, ValueError):
    """A key that could escape the root or is otherwise malformed (a programming error)."""


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

    async def delete(self, key: str) -> None:
        """Remove an object; deleting a missing key is not an error."""
        ...

    async def ping(self) -> None:
        """Cheap reachability check for /readyz. Raises StorageUnavailable."""
        ...

    async def close(self) -> None:
        """Release clients and pools (called once at shutdown)."""
        ...


def check_key(key: str) -> str:
    """Reject keys that are absolute, empty, contain '..' / '.' segments, NUL or backslashes."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise InvalidKey(f"invalid storage key {key!r}")
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key
