"""Real dependencies for tests: redis-server and moto's S3 server, each a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

__all__ = [
    "MotoProcess",
    "RedisProcess",
    "UnixRedisProcess",
    "free_port",
    "stop_process",
    "wait_port",
    "wait_unix_socket",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(
    port: int, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def wait_unix_socket(
    path: str, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {path}")
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(0.2)
            try:
                s.connect(path)
                return
            except OSError:
                time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {path} after {timeout}s")


def stop_process(
    proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 5.0
) -> None:
    """Ask politely (SIGCONT first, in case a test froze it), then kill after `grace` seconds;
    close any pipes to it either way."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGCONT)
        proc.send_signal(sig)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


class RedisProcess:
    """A throwaway redis-server; stop/start keep the port, freeze/thaw use SIGSTOP/SIGCONT."""

    def __init__(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError(
                "redis-server not found: run the README's test command, which installs it"
            )
        self.exe = exe
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="ogedge-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        """The redis-server command line; subclasses append their options (the last one wins)."""
        return [
            self.exe,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            self.dir,
            "--daemonize",
            "no",
        ]

    def start(self) -> RedisProcess:
        self.proc = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.wait_ready(self.proc)
        return self

    def wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        wait_port(self.port, proc=proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = None

    def freeze(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class UnixRedisProcess(RedisProcess):
    """A redis-server on a unix socket only (`--port 0`: no TCP listener at all)."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0
        self.socket = str(Path(self.dir) / "redis.sock")

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def command(self) -> list[str]:
        return [*super().command(), "--unixsocket", self.socket, "--unixsocketperm", "700"]

    def wait_ready(self, proc: subprocess.Popen[bytes]) -> None:
        wait_unix_socket(self.socket, proc=proc)


class MotoProcess:
    """moto's S3 server mode in a subprocess, so tests use the same aioboto3 client as production."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoProcess:
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        env = {**os.environ, "MOTO_PORT": str(self.port), "PYTHONPATH": path}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devkit.moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        wait_port(self.port, timeout=30, proc=self.proc)
        return self

    def create_bucket(self, name: str) -> None:
        req = urllib.request.Request(f"{self.url}/{name}", method="PUT")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200, resp.status

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
        self.proc = None
