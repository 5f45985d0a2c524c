"""Micro-benchmark of /i/<slug> in process: µs per hot-cache hit and per 304, through the
ImageEndpoint alone and through the whole OgEdge ASGI app, on the embedded default (its own
redis-server under a temporary data dir). `.venv/bin/python scripts/bench_inprocess.py [N]`"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import config
import renderer
from devkit.ogedge import png_bytes, seed
from proxy.app import create_app
from proxy.secret import load_secret
from proxy.signing import SigningKeys
from proxy.signing.make import sign_fields
from proxy.state.embedded import EmbeddedRedis
from proxy.storage import create_storage

SLUG = "AbCdEfGh1234"


async def _noop_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _sink(message: dict[str, Any]) -> None:
    return None


def _scope(etag: str | None = None, url: str = f"/i/{SLUG}") -> dict[str, Any]:
    headers = [(b"host", b"x"), (b"user-agent", b"bench")]
    if etag:
        headers.append((b"if-none-match", etag.encode()))
    path, _, query = url.partition("?")
    return {"type": "http", "method": "GET", "path": path, "query_string": query.encode(),
            "headers": headers, "client": ("127.0.0.1", 5000)}  # fmt: skip


async def _signed_url(settings: config.Settings) -> str:
    """A signed render URL of a blog card (a signing key made for the run)."""
    storage = await create_storage(settings.storage)
    try:
        keys = SigningKeys(storage, await load_secret("", storage))
        await keys.create("bench")
        spec = renderer.RenderSpec(template="blog", title="A signed card", tag="Bench")
        url = await sign_fields(keys, "http://x", "bench", spec)
    finally:
        await storage.close()
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="og-bench-") as tmp, EmbeddedRedis(tmp):
        settings = config.load(
            {"OGEDGE_DATA_DIR": tmp, "OGEDGE_IMAGE_RATE": "1e9", "OGEDGE_IMAGE_BURST": "1e9"}
        )
        meta = await seed(settings, SLUG, png_bytes())
        signed = await _signed_url(settings)
        app = create_app(settings)
        async with app._lifespan(app.litestar):
            assert app.image is not None
            await app(_scope(url=signed), _noop_receive, _sink)  # its first request renders it
            for label, call, scope in (
                ("ImageEndpoint hit", app.image, _scope()),
                ("OgEdge app hit", app, _scope()),
                ("OgEdge app /og/ hit", app, _scope(url=signed)),
                ("ImageEndpoint 304", app.image, _scope(meta.etag)),
                ("OgEdge app 304", app, _scope(meta.etag)),
            ):
                for _ in range(1000):
                    await call(scope, _noop_receive, _sink)
                best = float("inf")
                for _ in range(5):
                    t = time.perf_counter()
                    for _ in range(n):
                        await call(scope, _noop_receive, _sink)
                    best = min(best, (time.perf_counter() - t) / n)
                print(f"{label:20s} {best * 1e6:6.2f} µs/request")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
