"""The slug secret: OGEDGE_SECRET, or exactly one generated per data directory or bucket.

Slugs are HMACs under this secret, so two workers (or nodes) with different secrets would mint
two URLs for one card. Generation is create-if-absent in storage (O_EXCL-style on disk, a
conditional put on S3): of any number of processes starting at once, one writes, and every one
reads back the winner.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from proxy import layout
from proxy.storage.base import ObjectNotFound, Storage, StorageUnavailable, read_bytes

__all__ = ["load_secret"]

log = logging.getLogger("ogedge.secret")
_MAX_BYTES = 4096
# A losing creator may read before the winner's conditional write is visible (S3 answers 409
# while one is in flight): look again a few times.
_READ_ATTEMPTS = 20
_READ_PAUSE = 0.05


async def load_secret(configured: str, storage: Storage) -> bytes:
    if configured:
        return configured.encode()
    for _ in range(_READ_ATTEMPTS):
        try:
            return await _read(storage)
        except ObjectNotFound:
            pass
        if await storage.put_if_absent(
            layout.SECRET, secrets.token_urlsafe(32).encode(), "text/plain"
        ):
            log.warning(
                "OGEDGE_SECRET is not set: generated one and stored it at %s", layout.SECRET
            )
            return await _read(storage)
        await asyncio.sleep(_READ_PAUSE)
    raise StorageUnavailable(f"{layout.SECRET} exists but cannot be read")


async def _read(storage: Storage) -> bytes:
    secret = (await read_bytes(storage, layout.SECRET, _MAX_BYTES)).strip()
    if not secret:
        raise StorageUnavailable(f"{layout.SECRET} is empty; delete it or set OGEDGE_SECRET")
    return secret
