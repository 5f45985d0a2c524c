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
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

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

MIN_VERSION = (6, 2)
# sun_path is 108 bytes on Linux, the terminating NUL included.
SOCKET_PATH_MAX = 107
_INSTALL_HINT = (
    "install it (apt-get install redis-server) or set OGEDGE_REDIS_URL to an external Redis"
)
# config/redis.conf is written for a networked server (docker-compose.yml). These of its
# directives are about the network, the container's /data or how the process is run, and do
# not apply to the embedded server (which sets its own after them); every other line is kept.
NOT_EMBEDDED = frozenset(
    {
        "bind",
        "port",
        "protected-mode",
        "tcp-keepalive",
        "dir",
        "unixsocket",
        "unixsocketperm",
        "daemonize",
        "supervised",
        "logfile",
        "pidfile",
        "include",
        # Workers connect to the socket without credentials; replication is not embedded.
        "requirepass",
        "masterauth",
        "masteruser",
        "replicaof",
        "slaveof",
    }
)
_PR_SET_PDEATHSIG = 1


class RedisNotInstalled(Exception):
    """No redis-server binary: say how to install one, or to use an external Redis."""


class EmbeddedRedisError(Exception):
    """The embedded redis-server could not be started (or the data dir is already served)."""


def find_redis_server(executable: str | None = None) -> str:
    """The redis-server to run: `executable` (a path or a name on PATH), else redis-server."""
    name = executable or "redis-server"
    found = shutil.which(name)
    if found is None:
        where = f"at {name}" if os.sep in name else "on PATH"
        raise RedisNotInstalled(f"redis-server not found {where}: {_INSTALL_HINT}")
    return found


def installed_version(executable: str) -> str:
    """`redis-server --version`'s version ("7.0.15"), without starting a server; an
    EmbeddedRedisError if it is older than MIN_VERSION."""
    try:
        out = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise EmbeddedRedisError(f"{executable} --version failed: {exc}") from exc
    m = re.search(r"\bv=(\d+\.\d+(?:\.\d+)?)", out)
    if m is None:
        raise EmbeddedRedisError(f"{executable} --version printed no version: {out.strip()!r}")
    _check_minimum(executable, m.group(1))
    return m.group(1)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def _check_minimum(executable: str, version: str) -> None:
    if _version_tuple(version) < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        raise EmbeddedRedisError(
            f"{executable} is Redis {version}; ogedge needs Redis >= {need}: upgrade it, or "
            "set OGEDGE_REDIS_URL to an external Redis"
        )


def embedded_dir(data_dir: str | os.PathLike[str]) -> Path:
    """<data_dir>/redis, absolute (workers and the launcher share a working directory)."""
    return Path(os.path.abspath(data_dir)) / "redis"


def embedded_socket(data_dir: str | os.PathLike[str]) -> Path:
    """The embedded server's unix socket: <data_dir>/redis/redis.sock, absolute."""
    return embedded_dir(data_dir) / "redis.sock"


def embedded_url(data_dir: str | os.PathLike[str]) -> str:
    """unix://<socket>, for redis.asyncio.Redis.from_url (which unquotes the path)."""
    return "unix://" + quote(str(embedded_socket(data_dir)))


def base_config() -> str:
    """config/redis.conf, as installed with the package."""
    return resources.files("config").joinpath("redis.conf").read_text(encoding="utf-8")


def _conf_value(value: str | os.PathLike[str]) -> str:
    text = str(value)
    if any(c in text for c in "\n\r\0"):
        raise EmbeddedRedisError(f"path unusable in a Redis config: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def embedded_config(data_dir: str | os.PathLike[str], version: str | None = None) -> str:
    """The config the embedded server runs with: config/redis.conf's directives minus
    NOT_EMBEDDED (durability, eviction, timeouts... stay in one place), then its own.
    `version` is redis-server's, for the directives that only newer ones know."""
    where = embedded_dir(data_dir)
    lines = [
        "# Written by `ogedge serve` at every start of the embedded Redis: the directives of",
        "# config/redis.conf that apply to a local server, then the embedded server's own.",
        "# Edits here are lost; change config/redis.conf, or run an external Redis.",
    ]
    for raw in base_config().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key = line.split(None, 1)[0].lower()
        if key in NOT_EMBEDDED or key.startswith("tls-"):
            continue
        lines.append(line)
    lines += [
        "# Embedded: no TCP listener; one unix socket that only this user can open.",
        "port 0",
        f"unixsocket {_conf_value(where / 'redis.sock')}",
        "unixsocketperm 700",
        f"dir {_conf_value(where)}",
        "daemonize no",
        f"logfile {_conf_value(where / 'redis.log')}",
    ]
    if version is not None and _version_tuple(version) >= (7, 0):
        # SIGTERM comes only when the launcher died (PR_SET_PDEATHSIG) or could not send
        # SHUTDOWN: exit even if the final RDB snapshot fails (the AOF is still flushed),
        # rather than live on as an orphan no one will stop.
        lines.append("shutdown-on-sigterm force")
    return "\n".join(lines) + "\n"


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
        _check_minimum(self.executable, version)
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
