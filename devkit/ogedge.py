"""Run `ogedge serve` (Granian) as a subprocess on a free port, and seed cards into storage."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyvips

from config import Settings
from devkit.servers import free_port, stop_process
from proxy.publish import publish
from proxy.records import ImageMeta, SpecRecord
from proxy.storage import create_storage

__all__ = ["OgEdgeServer", "png_bytes", "seed"]

_OGEDGE = str(Path(sys.executable).with_name("ogedge"))


class OgEdgeServer:
    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "OGEDGE_PORT": str(self.port), "OGEDGE_HOST": "127.0.0.1"}
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env.get("OGEDGE_DATA_DIR", "/tmp")) / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> OgEdgeServer:
        """Start and wait for /healthz; on any failure the process is stopped, never leaked."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            # A session of its own: `stop` can end the workers too, whatever became of serve.
            self.proc = subprocess.Popen(
                [_OGEDGE, "serve", "--workers", str(self.workers)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ogedge serve exited {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"ogedge serve not healthy after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        stop_process(proc, grace=15)  # Granian drains in-flight requests first
        # Workers outliving their serve (it was killed after the grace) still hold the data
        # dir's lock and port: end the whole session.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def png_bytes(width: int = 1200, height: int = 630, seed_value: int = 1, block: int = 8) -> bytes:
    """A real PNG of random colour blocks: 1200x630 at block 8 is ~64 KB, a typical card."""
    bands = [
        pyvips.Image.gaussnoise(
            width // block + 1, height // block + 1, sigma=60, mean=100 + 20 * i + seed_value % 23
        )
        for i in range(3)
    ]
    img = bands[0].bandjoin(bands[1:]).cast("uchar").resize(block, kernel="nearest")
    return bytes(img.crop(0, 0, width, height).pngsave_buffer(compression=6))


async def seed(settings: Settings, slug: str, data: bytes, fmt: str = "png") -> ImageMeta:
    storage = await create_storage(settings.storage)
    try:
        record = SpecRecord(
            slug=slug, project="test", spec={"title": slug}, format=fmt, created=time.time()
        )
        return await publish(storage, record, data)
    finally:
        await storage.close()
