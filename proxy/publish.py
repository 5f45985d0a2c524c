"""Store a rendered card so /i/<slug> can serve it: the image first, then the spec record.

Writing the record last means a slug becomes visible only once its image is complete; a crash
in between leaves an orphan image, never a spec without bytes that was not meant to be rendered.
"""

from __future__ import annotations

import time

from proxy import layout
from proxy.records import FORMATS, ImageMeta, SpecRecord, etag_for
from proxy.storage.base import Storage
from proxy.storage.documents import write_json

__all__ = ["publish", "store_image"]


async def store_image(storage: Storage, slug: str, fmt: str, data: bytes) -> ImageMeta:
    key = layout.image(slug, fmt)
    etag = etag_for(data)
    content_type = FORMATS[fmt][1]
    # Whole seconds, kept in metadata: every node derives the same Last-Modified from it.
    created = int(time.time())
    await storage.put(
        key, data, content_type, {"etag": etag, "slug": slug, "created": str(created)}
    )
    return ImageMeta(
        key=key, etag=etag, size=len(data), content_type=content_type, modified=float(created)
    )


async def publish(storage: Storage, record: SpecRecord, data: bytes) -> ImageMeta:
    meta = await store_image(storage, record.slug, record.format, data)
    await write_json(storage, layout.spec(record.slug), record)
    return meta
