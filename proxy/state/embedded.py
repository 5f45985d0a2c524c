"""The embedded Redis: with no OGEDGE_REDIS_URL, `ogedge serve` runs a redis-server of its own.

The serve parent starts it before Granian starts any worker and stops it after the workers
have drained, so the default set-up shares limits, quotas and the webhook outbox across
workers and keeps them across restarts, on the very code paths of a node with an external
Redis: every worker connects to `embedded_url(settings.storage.data_dir)`.

Everything lives under <data_dir>/redis/ (mode 700):

    redis.conf        written at every start by `embedded_config` (config/redis.conf's lines
                      that apply to a local server, then the embedded ones); not for editing
    redis.sock        the only listener: a unix socket, mode 700; no TCP port (`port 0`)
    redis.log         redis-server's log, and anything it prints before it opens it
    lock              flock'd by the launcher: one `ogedge serve` per data directory
    appendonlydir/    the AOF (what restores), and dump.rdb snapshots

redis-server runs in a session of its own, so a Ctrl-C in the terminal (SIGINT to the
foreground process group) reaches Granian and not Redis: the workers drain while Redis still
answers. On Linux it also gets SIGTERM when the thread that started it dies
(PR_SET_PDEATHSIG), so a SIGKILLed `ogedge serve` leaves no orphan; on SIGTERM redis-server
flushes the AOF and exits.

Unix socket paths are limited to 107 bytes; a data directory whose socket path would be
longer is refused with a message saying so (there is no fallback location).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from types import TracebackType

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from proxy.state.embedded_config import (
    MIN_VERSION,
    NOT_EMBEDDED,
    SOCKET_PATH_MAX,
    EmbeddedRedisError,
    RedisNotInstalled,
    base_config,
    check_minimum,
    embedded_config,
    embedded_dir,
    embedded_socket,
    embedded_url,
    find_redis_server,
    installed_version,
)

__all__ = [
    "MIN_VERSION",
    "NOT_EMBEDDED",
    "SOCKET_PATH_MAX",
    "EmbeddedRedis",
    "EmbeddedRedisError",
    "RedisNotInstalled",
    "base_config",
    "embedded_config",
    "embedded_dir",
    "embedded_socket",
    "embedded_url",
    "find_redis_server",
    "installed_version",
]

_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to SIGTERM the child when its parent (thread) dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent, sig = os.getpid(), int(signal.SIGTERM)

    def preexec() -> None:  # runs in the child between fork and exec: keep it minimal
        if prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(1)

    return preexec


class EmbeddedRedis:
    """One redis-server for one data directory, run by `ogedge serve` (see the module doc).

    Call start() and stop() from the main thread: on Linux the server is SIGTERMed when the
    thread that started it exits."""

    def __init__(self, data_dir: str | os.PathLike[str], *, executable: str | None = None) -> None:
        self.executable = find_redis_server(executable)  # first: RedisNotInstalled at once
        self.data_dir = os.path.abspath(data_dir)
        self.dir = embedded_dir(data_dir)
        self.socket = embedded_socket(data_dir)
        self.url = embedded_url(data_dir)
        self.log = self.dir / "redis.log"
        self.lock = self.dir / "lock"
        size = len(os.fsencode(self.socket))
        if size > SOCKET_PATH_MAX:
            raise EmbeddedRedisError(
                f"the embedded Redis socket {self.socket} is {size} bytes, over the "
                f"{SOCKET_PATH_MAX}-byte limit of unix socket paths: use a shorter "
                "OGEDGE_DATA_DIR, or set OGEDGE_REDIS_URL to an external Redis"
            )
        self.version: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None
        self._log_start = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- start ----------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        """Start redis-server and return once it answers PING with its AOF loaded."""
        if self._proc is not None:
            raise RuntimeError("the embedded Redis is already started")
        deadline = time.monotonic() + timeout
        installed = installed_version(self.executable)  # too old: refused before it runs
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            self._clear_stale_socket(deadline)
            conf = self.dir / "redis.conf"
            tmp = conf.with_suffix(".conf.tmp")
            tmp.write_text(embedded_config(self.data_dir, installed), encoding="utf-8")
            os.replace(tmp, conf)
            log_fd = os.open(self.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                self._log_start = os.fstat(log_fd).st_size
                self._proc = subprocess.Popen(
                    [self.executable, str(conf)],
                    stdin=subprocess.DEVNULL,
                    stdout=log_fd,  # what it prints before it opens its logfile (config errors)
                    stderr=log_fd,
                    cwd=self.dir,
                    start_new_session=True,
                    preexec_fn=_parent_death_signal(),
                )
            finally:
                os.close(log_fd)
            self._wait_ready(deadline, timeout)
            self._check_version()
        except BaseException:
            self._abort()
            raise

    def _acquire_lock(self) -> None:
        fd = os.open(self.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            by = f" (pid {holder})" if holder.isdigit() else ""
            raise EmbeddedRedisError(
                f"{self.data_dir} is already served by another `ogedge serve`{by}: one data "
                "directory serves one node; several nodes must share an external Redis "
                "(set OGEDGE_REDIS_URL on every node)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def _answers(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            try:
                s.connect(str(self.socket))
            except OSError:
                return False
        return True

    def _clear_stale_socket(self, deadline: float) -> None:
        """A socket file nobody answers on was left by a crash: remove it. One that answers
        while we hold the lock is a server no launcher owns (e.g. one still flushing after
        its `ogedge serve` was killed): give it until the deadline to exit."""
        while os.path.lexists(self.socket):
            if not self._answers():
                self.socket.unlink(missing_ok=True)
                return
            if time.monotonic() >= deadline:
                raise EmbeddedRedisError(
                    f"a redis-server already listens on {self.socket} but no `ogedge serve` "
                    f"holds {self.lock}: stop it (redis-cli -s {self.socket} shutdown) and "
                    "start again"
                )
            time.sleep(0.05)

    def _client(self, timeout: float) -> redis.Redis:
        return redis.Redis(
            unix_socket_path=str(self.socket),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        assert self._proc is not None
        client = self._client(1.0)
        try:
            while True:
                code = self._proc.poll()
                if code is not None:
                    raise EmbeddedRedisError(
                        f"redis-server exited with code {code} before answering on "
                        f"{self.socket}: {self._log_tail()}"
                    )
                try:
                    if client.ping():
                        return
                except redis.BusyLoadingError:
                    pass  # still loading the AOF: not ready yet
                except redis.ResponseError as exc:
                    raise EmbeddedRedisError(
                        f"redis-server on {self.socket} answered PING with {exc}"
                    ) from exc
                except (redis.ConnectionError, redis.TimeoutError, OSError):
                    pass  # not listening yet
                if time.monotonic() >= deadline:
                    raise EmbeddedRedisError(
                        f"redis-server did not answer on {self.socket} within {timeout:g} s: "
                        f"{self._log_tail()}"
                    )
                time.sleep(0.02)
        finally:
            client.close()

    def _check_version(self) -> None:
        client = self._client(5.0)
        try:
            version = str(client.info("server")["redis_version"])
        finally:
            client.close()
        check_minimum(self.executable, version)
        self.version = version

    def _log_tail(self, lines: int = 3) -> str:
        try:
            with self.log.open("rb") as f:
                f.seek(self._log_start)
                text = f.read()[-8192:].decode(errors="replace")
        except OSError:
            text = ""
        tail = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
        said = " | ".join(tail) if tail else "nothing in its log"
        return f"{said} (log: {self.log})"

    def _abort(self) -> None:
        proc, self._proc = self._proc, None
        try:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # releases the flock (the lock file itself stays: no unlink races)

    # ---- stop -----------------------------------------------------------------------------

    def stop(self, timeout: float = 15.0) -> None:
        """SHUTDOWN (the AOF is flushed and fsynced), wait for the exit; SIGTERM if SHUTDOWN
        could not be sent, SIGKILL once `timeout` has passed. Safe to call twice."""
        proc, self._proc = self._proc, None
        try:
            if proc is None:
                return
            deadline = time.monotonic() + timeout
            if proc.poll() is None:
                client = self._client(timeout)
                try:
                    # redis-py takes a lost connection for SHUTDOWN's success, so connect
                    # first: a server that cannot be reached gets SIGTERM instead.
                    client.ping()
                    client.shutdown()
                except (redis.RedisError, OSError):
                    if proc.poll() is None:
                        proc.terminate()
                finally:
                    client.close()
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        finally:
            self._release_lock()
