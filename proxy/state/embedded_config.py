"""Where the embedded Redis lives and how it is configured: the binary and its version, the
paths under <data_dir>/redis/, and the config generated from config/redis.conf (so durability
and eviction settings are written in one place for every Redis ogedge runs)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "MIN_VERSION",
    "NOT_EMBEDDED",
    "SOCKET_PATH_MAX",
    "EmbeddedRedisError",
    "RedisNotInstalled",
    "base_config",
    "check_minimum",
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
    check_minimum(executable, m.group(1))
    return m.group(1)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def check_minimum(executable: str, version: str) -> None:
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
