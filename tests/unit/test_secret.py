"""The slug secret is generated once per data directory or bucket, however many processes load
it at the same instant (they are released together from a barrier), on every backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devkit.servers import MotoProcess

_LOADER = """
import asyncio, json, os, sys, time
import config
from proxy.secret import load_secret
from proxy.storage import create_storage

async def main() -> None:
    storage = await create_storage(config.load(json.loads(sys.argv[1])).storage)
    print("ready", flush=True)
    while not os.path.exists(sys.argv[2]):  # the barrier: every process is waiting here
        time.sleep(0.001)
    try:
        print((await load_secret("", storage)).decode(), flush=True)
    finally:
        await storage.close()

asyncio.run(main())
"""


def load_concurrently(env: dict[str, str], go: Path, n: int = 8) -> set[str]:
    """The secrets `n` processes loaded, released together; exactly one may have made it."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOADER, json.dumps(env), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        for _ in range(n)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [proc.communicate(timeout=60) for proc in procs]
        assert all(proc.returncode == 0 for proc in procs), [err for _, err in outputs]
        # Losers must not write a secret of their own (one that a reader could have used in
        # the meantime): the one generation is logged once, by its one creator.
        assert sum("generated one" in err for _, err in outputs) == 1
        secrets = {out.strip() for out, _ in outputs}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    return secrets


def test_local_disk_one_secret_for_processes_started_together(tmp_path: Path) -> None:
    for run in range(3):
        env = {"OGEDGE_DATA_DIR": str(tmp_path / f"data{run}")}
        secrets = load_concurrently(env, tmp_path / f"go{run}")
        assert len(secrets) == 1 and "" not in secrets


def test_s3_one_secret_for_processes_started_together(
    tmp_path: Path, moto_server: MotoProcess, bucket: str
) -> None:
    env = {
        "OGEDGE_S3_BUCKET": bucket,
        "OGEDGE_S3_ENDPOINT_URL": moto_server.url,
        "OGEDGE_S3_PREFIX": f"secret-{time.time_ns()}",
        "OGEDGE_DATA_DIR": str(tmp_path / "unused"),
        "AWS_ACCESS_KEY_ID": os.environ["AWS_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["AWS_SECRET_ACCESS_KEY"],
    }
    secrets = load_concurrently(
        {k: v for k, v in env.items() if k.startswith("OGEDGE_")}, tmp_path / "go"
    )
    assert len(secrets) == 1 and "" not in secrets


@pytest.mark.parametrize("configured", ["from-the-environment"])
async def test_a_configured_secret_is_used_as_is(tmp_path: Path, configured: str) -> None:
    from proxy.secret import load_secret
    from proxy.storage import LocalStorage

    storage = LocalStorage(str(tmp_path))
    assert await load_secret(configured, storage) == configured.encode()
    assert not (tmp_path / "system").exists()  # nothing generated or stored


class Turnstile:
    """Failure injection: two loaders interleaved in the worst order for a naive "write, then
    read back" scheme. Both miss the secret, A writes and reads back, and only then may B write."""

    def __init__(self) -> None:
        import asyncio

        self.missed = {"a": asyncio.Event(), "b": asyncio.Event()}
        self.a_read_back = asyncio.Event()


class Gate:
    def __init__(self, inner: object, role: str, turns: Turnstile) -> None:
        self.inner, self.role, self.turns, self.reads = inner, role, turns, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def open(self, key: str):  # type: ignore[no-untyped-def]
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def opened():  # type: ignore[no-untyped-def]
            self.reads += 1
            if self.reads == 1:
                self.turns.missed[self.role].set()
                await self.turns.missed["b" if self.role == "a" else "a"].wait()
            try:
                async with self.inner.open(key) as result:  # type: ignore[attr-defined]
                    yield result
            finally:
                if self.role == "a" and self.reads == 2:
                    self.turns.a_read_back.set()

        return opened()

    async def _turn(self) -> None:
        if self.role == "b":
            await self.turns.a_read_back.wait()

    async def put(self, *args: object, **kwargs: object) -> None:
        await self._turn()
        await self.inner.put(*args, **kwargs)  # type: ignore[attr-defined]

    async def put_if_absent(self, *args: object, **kwargs: object) -> bool:
        await self._turn()
        return bool(await self.inner.put_if_absent(*args, **kwargs))  # type: ignore[attr-defined]


async def test_a_loser_never_writes_over_a_secret_already_in_use(tmp_path: Path) -> None:
    import asyncio

    from proxy.secret import load_secret
    from proxy.storage import LocalStorage

    inner = LocalStorage(str(tmp_path))
    turns = Turnstile()
    a, b = Gate(inner, "a", turns), Gate(inner, "b", turns)
    got_a, got_b = await asyncio.wait_for(
        asyncio.gather(load_secret("", a), load_secret("", b)),  # type: ignore[arg-type]
        30,
    )
    assert got_a == got_b
