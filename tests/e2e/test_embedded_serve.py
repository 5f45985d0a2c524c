"""`ogedge serve` with no OGEDGE_REDIS_URL runs its own redis-server (proxy/state/embedded.py):
started before the Granian workers, on <data_dir>/redis/redis.sock, and gone once serve exits.

Every wait polls a condition with a deadline; the limits are hang guards."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from devkit.servers import free_port
from proxy.state.embedded import SOCKET_PATH_MAX, embedded_socket
from tests.e2e.conftest import Start

pytestmark = pytest.mark.e2e

_OGEDGE = str(Path(sys.executable).with_name("ogedge"))
# Granian's workers_kill_timeout (30 s, serve.py) plus a margin, as in test_shutdown.py.
EXIT_GUARD = 40.0


@pytest.fixture
def data_dir() -> Iterator[str]:
    # Short and under /tmp: the socket path must fit in 107 bytes, tmp_path may not.
    path = tempfile.mkdtemp(prefix="oge-serve-", dir="/tmp")
    assert len(os.fsencode(embedded_socket(path))) <= SOCKET_PATH_MAX
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return fields.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _redis_servers_on(sock: Path) -> list[int]:
    """Running redis-server processes whose title names this socket (port 0: the title is
    `redis-server unixsocket:<path>`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if comm.startswith("redis-server") and str(sock) in cmdline and _alive(int(entry.name)):
            pids.append(int(entry.name))
    return pids


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} after {timeout}s"
        time.sleep(0.05)


def test_serve_runs_its_own_redis_and_stops_it_after_the_workers(
    data_dir: str, start_server: Start
) -> None:
    sock = embedded_socket(data_dir)
    server = start_server({"OGEDGE_DATA_DIR": data_dir, "OGEDGE_REDIS_URL": ""}, workers=2)
    assert server.proc is not None
    assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
    assert f"redis=embedded (unix://{sock})" in server.output()

    # The server answering on the socket is a redis-server child of `ogedge serve`.
    client = redis.Redis(unix_socket_path=str(sock), socket_timeout=5)
    try:
        assert client.ping()
        pid = int(client.info("server")["process_id"])
        assert client.config_get("port") == {"port": "0"}
    finally:
        client.close()
    assert _redis_servers_on(sock) == [pid]
    assert _ppid(pid) == server.proc.pid

    # A second serve on the same data dir is refused at once, with one line.
    done = subprocess.run(
        [_OGEDGE, "serve", "--workers", "1"],
        env={**server.env, "OGEDGE_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"ogedge: {data_dir} is already served by another")
    assert "OGEDGE_REDIS_URL" in done.stderr
    assert _alive(pid)  # ...and the first one's Redis is untouched

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(EXIT_GUARD) == 0, server.output()
    _wait(lambda: not _alive(pid), 15, f"redis-server {pid} still running")
    assert _redis_servers_on(sock) == []
    assert not sock.exists()  # SHUTDOWN removed it: a clean stop, not a crash
    assert "User requested shutdown" in (sock.parent / "redis.log").read_text()


def test_serve_without_redis_server_exits_2_at_once_with_one_line(data_dir: str) -> None:
    # The venv's bin alone: `ogedge` runs the venv's python, and there is no redis-server
    # (/usr/bin holds both python and redis-server, so it cannot be on PATH).
    venv_bin = str(Path(sys.executable).parent)
    assert shutil.which("redis-server", path=venv_bin) is None
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OGEDGE_")}
    env = {**clean, "PATH": venv_bin, "OGEDGE_DATA_DIR": data_dir, "OGEDGE_PORT": str(free_port())}
    started = time.monotonic()
    done = subprocess.run(
        [_OGEDGE, "serve", "--workers", "1"], env=env, capture_output=True, text=True, timeout=60
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "ogedge: redis-server not found on PATH: install it (apt-get install redis-server) "
        "or set OGEDGE_REDIS_URL to an external Redis"
    ]
    assert elapsed < 20, elapsed  # no Granian, no worker was started (hang guard)
    assert not Path(data_dir, "redis").exists()
