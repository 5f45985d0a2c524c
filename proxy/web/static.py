"""The web pages' static files (proxy/web/static/, package data), served by ogedge itself.

Every file is read once per worker, with its gzip form (text types) and a content hash. Pages
link `/static/<hash>/<name>` (`url_for`), answered with `Cache-Control: immutable` for a
year; the same name under another hash (an old page) gets the current bytes, not cached. A
strong ETag and 304s either way. Nothing is fetched from anywhere else.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from proxy.http.conditional import is_not_modified

__all__ = ["Asset", "StaticFiles", "compress", "wants_gzip"]

_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}
_COMPRESSIBLE = (".css", ".js", ".svg", ".txt")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def wants_gzip(accept_encoding: str | None) -> bool:
    if not accept_encoding:
        return False
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def compress(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    data: bytes
    gzipped: bytes | None
    content_type: str
    digest: str  # first 12 hex of the SHA-256: the URL segment

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


class StaticFiles:
    def __init__(self, root: Traversable | None = None) -> None:
        root = root or resources.files("proxy.web").joinpath("static")
        self._assets: dict[str, Asset] = {}
        self._load(root, "")

    def _load(self, folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            name = prefix + entry.name
            if entry.is_dir():
                self._load(entry, name + "/")
                continue
            suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
            if suffix not in _TYPES:
                continue  # LICENSE files and the like stay in the package, unserved
            data = entry.read_bytes()
            self._assets[name] = Asset(
                name=name,
                data=data,
                gzipped=compress(data) if suffix in _COMPRESSIBLE else None,
                content_type=_TYPES[suffix],
                digest=hashlib.sha256(data).hexdigest()[:12],
            )

    def url_for(self, name: str) -> str:
        """The immutable URL of a static file (KeyError for a file that is not there)."""
        return f"/static/{self._assets[name].digest}/{name}"

    def get(self, name: str) -> Asset | None:
        return self._assets.get(name)

    def answer(
        self,
        digest: str,
        name: str,
        if_none_match: str | None,
        accept_encoding: str | None,
    ) -> tuple[int, bytes, dict[str, str]] | None:
        """(status, body, headers) for GET /static/<digest>/<name>; None when unknown."""
        asset = self._assets.get(name)
        if asset is None:
            return None
        gz = asset.gzipped is not None and wants_gzip(accept_encoding)
        # Each encoding is its own representation, with its own strong validator.
        etag = f'"{asset.digest}-gz"' if gz else asset.etag
        headers = {
            "Content-Type": asset.content_type,
            "Cache-Control": IMMUTABLE if digest == asset.digest else REVALIDATE,
            "ETag": etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if is_not_modified(if_none_match, None, etag, 0.0):
            return 304, b"", headers
        if gz and asset.gzipped is not None:
            headers["Content-Encoding"] = "gzip"
            return 200, asset.gzipped, headers
        return 200, asset.data, headers
