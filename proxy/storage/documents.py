"""Small JSON documents in storage (records, pointers, revisions): read, write, create-once.

One reader for all of them, so every document gets the same size cap (a damaged or hostile
object cannot exhaust memory) and the same error for undecodable content.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from proxy.storage.base import ObjectNotFound, ObjectTooLarge, Storage, StorageError, read_bytes

__all__ = ["DOCUMENT_MAX_BYTES", "CorruptDocument", "create_json", "read_json", "write_json"]

T = TypeVar("T")
_JSON = "application/json"
# Documents are tiny; the cap only stops a damaged object from being buffered whole.
DOCUMENT_MAX_BYTES = 256 * 1024
_encode = msgspec.json.Encoder().encode


class CorruptDocument(StorageError):
    """A stored document exists but is too large or cannot be decoded as its type."""


async def read_json(
    storage: Storage, key: str, kind: type[T], max_bytes: int = DOCUMENT_MAX_BYTES
) -> T | None:
    """The document at `key` decoded as `kind`; None when missing. Raises CorruptDocument,
    StorageUnavailable."""
    try:
        data = await read_bytes(storage, key, max_bytes)
    except ObjectNotFound:
        return None
    except ObjectTooLarge as exc:
        raise CorruptDocument(str(exc)) from exc
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise CorruptDocument(f"{key}: {exc}") from exc


async def write_json(storage: Storage, key: str, value: Any) -> None:
    await storage.put(key, _encode(value), _JSON)


async def create_json(storage: Storage, key: str, value: Any) -> bool:
    """Write `value` only if `key` does not exist; True when this call created it."""
    return await storage.put_if_absent(key, _encode(value), _JSON)
