"""Micro-benchmarks in process, on the embedded default (its own redis-server under a
temporary data dir): µs per /i/ hot-cache hit and per 304 (the ImageEndpoint alone and the
whole OgEdge ASGI app), per /og/ signed-URL hit, and the median of a Render API dedup hit;
also written to bench-out/inprocess.json. `.venv/bin/python scripts/bench_inprocess.py [N]`"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson

import config
import renderer
from devkit.ogedge import png_bytes, seed
from proxy.app import create_app
from proxy.keys import KeyRegistry
from proxy.secret import load_secret
from proxy.signing import SigningKeys
from proxy.signing.make import sign_fields
from proxy.state.embedded import EmbeddedRedis
from proxy.storage import LocalStorage, create_storage

SLUG = "AbCdEfGh1234"
OUT = Path(__file__).resolve().parents[1] / "bench-out"


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
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="og-bench-") as tmp, EmbeddedRedis(tmp):
        settings = config.load(
            {
                "OGEDGE_DATA_DIR": tmp,
                "OGEDGE_IMAGE_RATE": "1e9",
                "OGEDGE_IMAGE_BURST": "1e9",
                "OGEDGE_RENDER_MODE": "thread",
            }
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
                results[label] = best * 1e6
            results |= await _dedup(app, tmp)
    OUT.mkdir(exist_ok=True)
    (OUT / "inprocess.json").write_text(json.dumps(results, indent=2))


async def _dedup(app: Any, tmp: str, n: int = 2000) -> dict[str, float]:
    """POST /api/v2/render of a card that exists: the whole app, auth and key limit included."""
    secret, _ = await KeyRegistry(LocalStorage(tmp)).create("bench", rate=1e6, burst=1_000_000)
    body = orjson.dumps({"template": "blog", "title": "Dedup me", "tag": "Bench"})
    headers = [(b"host", b"x"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), (b"x-api-key", secret.encode())]  # fmt: skip
    scope = {"type": "http", "method": "POST", "path": "/api/v2/render",
             "raw_path": b"/api/v2/render", "query_string": b"", "root_path": "",
             "scheme": "http", "http_version": "1.1", "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 5000), "headers": headers}  # fmt: skip
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)  # makes the card
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await app(scope, receive, send)
        times.append(time.perf_counter() - started)
    assert set(statuses[1:]) == {200}, set(statuses)
    times.sort()
    print(f"{'Render API dedup hit':20s} {times[n // 2] * 1e3:6.3f} ms median, p95 "
          f"{times[int(n * 0.95)] * 1e3:.3f} ms")  # fmt: skip
    return {"dedup_median_ms": times[n // 2] * 1e3, "dedup_p95_ms": times[int(n * 0.95)] * 1e3}


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
