"""Avatar and logo for a render: an http(s) URL fetched through the guarded client, or a
`data:` URI; kept content-addressed in storage (layout.asset) so an on-demand render can
reproduce the card without fetching anything again."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from cachetools import TTLCache

from proxy import layout
from proxy.errors import InvalidInput, TooLarge, Unusable
from proxy.netguard import FetchError, GuardedClient
from proxy.storage.base import Storage

__all__ = ["AssetResolver", "UnusableAsset"]

_DATA_URI = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=.-]+)*?(;base64)?,(.*)$", re.I | re.S)
_URL_CACHE_TTL = 600.0


class UnusableAsset(Unusable):
    code = "unusable_asset"


class AssetResolver:
    def __init__(
        self,
        client: GuardedClient,
        storage: Storage,
        max_bytes: int,
        cache_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.client = client
        self.storage = storage
        self.max_bytes = max_bytes
        # Popular logos are fetched once per worker, not once per render (bounded by bytes).
        self._by_url: TTLCache[str, bytes] = TTLCache(cache_bytes, _URL_CACHE_TTL, getsizeof=len)

    async def resolve(self, field: str, value: str) -> tuple[bytes, str]:
        """The bytes for `value` and the storage key they are kept under. Raises InvalidInput,
        TooLarge, UnusableAsset."""
        data = (
            self._data_uri(field, value)
            if value.startswith("data:")
            else await self._fetch(field, value)
        )
        return data, await self.keep(data)

    def inline(self, field: str, value: str) -> bytes:
        """The bytes of a `data:` URI, nothing fetched or stored (previews take only these).
        Raises InvalidInput, TooLarge."""
        if not value.startswith("data:"):
            raise InvalidInput(
                "previews take images as data: URIs (URLs are fetched only by renders)", field
            )
        return self._data_uri(field, value)

    async def keep(self, data: bytes) -> str:
        """Store bytes under their SHA-256 (idempotent) and return the key."""
        key = layout.asset(hashlib.sha256(data).hexdigest())
        await self.storage.put(key, data, "application/octet-stream")
        return key

    def _data_uri(self, field: str, value: str) -> bytes:
        match = _DATA_URI.match(value)
        if match is None or not match.group(1):
            raise InvalidInput("expected an image data: URI", field)
        payload = match.group(4)
        try:
            data = base64.b64decode(payload, validate=True) if match.group(3) else payload.encode()
        except (binascii.Error, ValueError) as exc:
            raise InvalidInput(f"invalid base64 in data: URI ({exc})", field) from exc
        if len(data) > self.max_bytes:
            raise TooLarge(f"image is over {self.max_bytes} bytes", field)
        return data

    async def _fetch(self, field: str, url: str) -> bytes:
        cached = self._by_url.get(url)
        if cached is not None:
            return cached
        try:
            result = await self.client.fetch(url, max_bytes=self.max_bytes, accept=("image/",))
        except FetchError as exc:
            raise UnusableAsset(f"cannot use {field}: {exc.message}", field) from exc
        if result.status != 200:
            raise UnusableAsset(f"cannot use {field}: the server answered {result.status}", field)
        if len(result.body) <= self._by_url.maxsize // 8:
            self._by_url[url] = result.body
        return result.body
