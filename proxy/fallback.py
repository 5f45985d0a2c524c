"""The seam where a slug whose spec exists but whose image does not gets rendered on demand.

The generation layer plugs a real renderer in here; until then the null object answers
"nothing to serve", so the hot path has no `if renderer:` branches.
"""

from __future__ import annotations

from typing import Protocol

from proxy.records import ImageMeta, SpecRecord

__all__ = ["Fallback", "NoFallback"]


class Fallback(Protocol):
    async def render(self, slug: str, record: SpecRecord) -> ImageMeta | None:
        """Render, store and describe the image for `record`, or None when it cannot be served."""
        ...


class NoFallback:
    async def render(self, slug: str, record: SpecRecord) -> ImageMeta | None:
        return None
