"""A storage failure in the middle of a body must abort the client's connection: a short 200
would be cached by CDNs and browsers as a broken image forever (immutable)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

import config
from devkit.ogedge import seed
from devkit.servers import MotoProcess
from tests.e2e.conftest import Start, unique_slug

pytestmark = pytest.mark.e2e


class CuttingRelay:
    """TCP relay to moto; once `cut_after(n)` is called, it closes every connection after
    relaying n more response bytes."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.budget: int | None = None
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> CuttingRelay:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def cut_after(self, n: int) -> None:
        self.budget = n

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def requests() -> None:
            while data := await client_r.read(65536):
                up_w.write(data)
                await up_w.drain()

        pump = asyncio.create_task(requests())
        try:
            while data := await up_r.read(65536):
                if self.budget is not None:
                    data = data[: self.budget]
                    self.budget -= len(data)
                client_w.write(data)
                await client_w.drain()
                if self.budget == 0:
                    client_w.transport.abort()
                    return
        finally:
            pump.cancel()
            up_w.close()
            client_w.close()


async def test_failure_mid_body_aborts_the_connection(
    moto_server: MotoProcess, bucket: str, tmp_path: Path, start_server: Start
) -> None:
    relay = await CuttingRelay(moto_server.port).start()
    try:
        env = {
            "OGEDGE_S3_BUCKET": bucket,
            "OGEDGE_S3_ENDPOINT_URL": f"http://127.0.0.1:{relay.port}",
            "OGEDGE_S3_MAX_ATTEMPTS": "1",
            "OGEDGE_S3_READ_TIMEOUT": "1",
            "OGEDGE_DATA_DIR": str(tmp_path),
            "OGEDGE_IMAGE_RATE": "1000",
            "OGEDGE_IMAGE_BURST": "1000",
            # Too big for the hot cache: every GET streams from storage.
            "OGEDGE_CACHE_HOT_ITEM_MAX_BYTES": "1000",
        }
        slug = unique_slug("Abort")
        big = os.urandom(1_500_000)
        await seed(config.load(env), slug, big)
        server = await asyncio.to_thread(start_server, env)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
            first = await c.get(f"/i/{slug}")  # whole, and the metadata is now cached
            assert first.status_code == 200
            assert first.content == big
            relay.cut_after(400_000)
            with pytest.raises(httpx.RemoteProtocolError):
                await c.get(f"/i/{slug}")
        relay.budget = None
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
            again = await c.get(f"/i/{slug}")  # the server is fine afterwards
            assert again.status_code == 200
            assert again.content == big
    finally:
        await relay.stop()
