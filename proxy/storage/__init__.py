"""Object storage: one Protocol (`base`), a local-disk backend and an S3 backend.

`create_storage` is the only place that chooses between them, from configuration.
"""

from __future__ import annotations

import asyncio
import os

from config.settings import StorageSettings
from proxy.storage.base import (
    CHUNK_SIZE,
    InvalidKey,
    InvalidMetadata,
    ObjectInfo,
    ObjectNotFound,
    ObjectTooLarge,
    Storage,
    StorageError,
    StorageUnavailable,
    check_key,
    read_bytes,
)
from proxy.storage.local import LocalStorage
from proxy.storage.s3 import S3Storage

__all__ = [
    "CHUNK_SIZE",
    "InvalidKey",
    "InvalidMetadata",
    "LocalStorage",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectTooLarge",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "check_key",
    "create_storage",
    "read_bytes",
]


async def create_storage(settings: StorageSettings) -> Storage:
    """S3 when a bucket is configured, else the local data directory (created if missing)."""
    if settings.s3.bucket:
        return await S3Storage.create(settings.s3)
    # Created up front so /readyz is green on a fresh install, before the first image is stored.
    await asyncio.to_thread(os.makedirs, settings.data_dir, exist_ok=True)
    return LocalStorage(settings.data_dir)
