"""The `render.completed` event: what a receiver learns about a finished render.

Only the public `/i/<slug>` URL is ever carried; the storage URL of an image never is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

import orjson

__all__ = ["RENDER_COMPLETED", "render_completed"]

RENDER_COMPLETED: Final = "render.completed"


def render_completed(
    *,
    slug: str,
    url: str,
    template: str,
    kind: str,
    metadata: dict[str, Any] | None,
    created_at: datetime,
    cached: bool,
    now: datetime | None = None,
) -> bytes:
    """The JSON body of one `render.completed` event (UTF-8, compact, keys in a fixed order).

    `url` must be the public `<OGEDGE_PUBLIC_URL>/i/<slug>`: anything else is a bug in the
    caller, refused here so a storage URL cannot leak into a webhook by mistake.
    `metadata` is the caller's own, echoed back untouched.
    """
    path = urlsplit(url).path
    if not path.endswith(f"/i/{slug}"):
        raise ValueError(f"webhook url must be the public /i/{slug} URL, got path {path!r}")
    event = {
        "type": RENDER_COMPLETED,
        "timestamp": _iso(now or datetime.now(UTC)),
        "data": {
            "slug": slug,
            "url": url,
            "template": template,
            "kind": kind,
            "metadata": metadata if metadata is not None else {},
            "created_at": _iso(created_at),
            "cached": cached,
        },
    }
    return orjson.dumps(event)


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    # Milliseconds and a "Z": the form the Standard Webhooks examples use.
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
