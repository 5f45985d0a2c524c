"""The embedded redis-server that `ogedge serve` runs when no OGEDGE_REDIS_URL is set.

Real redis-server processes on short /tmp data dirs (unix socket paths are limited to 107
bytes, and pytest's tmp_path can be longer). Every wait polls a condition with a deadline."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
from redis.asyncio import Redis

from proxy.state.embedded import (
    NOT_EMBEDDED,
    SOCKET_PATH_MAX,
    EmbeddedRedis,
    EmbeddedRedisError,
    RedisNotInstalled,
    base_config,
    embedded_config,
    embedded_socket,
    embedded_url,
    installed_version,
)

ROOT = Path(__file__).resolve().parents[3]
# What config/redis.conf says about durability, eviction and idle clients: the embedded
# server must run with every one of these lines.
DURABILITY = ("appendonly", "appendfsync", "aof-use-rdb-preamble", "save", "maxmemory-policy")


def _short_dir(prefix: str = "oge-emb-") -> str:
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    assert len(os.fsencode(embedded_socket(path))) <= SOCKET_PATH_MAX
    return path


@pytest.fixture
def data_dir() -> Iterator[str]:
    path = _short_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def embedded(data_dir: str) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(data_dir)
    server.start()
    yield server
    server.stop()


def _alive(pid: int) -> bool:
    """Running (a zombie no one has reaped yet counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return fields.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still running after {timeout}s"
        time.sleep(0.02)


def _directives(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text, text
    return text


# ---- the running server -----------------------------------------------------------------


async def test_answers_ping_on_the_unix_socket_and_listens_on_no_tcp_port(
    embedded: EmbeddedRedis, data_dir: str
) -> None:
    assert embedded.socket == Path(data_dir, "redis", "redis.sock")
    assert embedded.url == embedded_url(data_dir) == f"unix://{data_dir}/redis/redis.sock"
    client = Redis.from_url(embedded_url(data_dir))
    try:
        assert await client.ping()
        assert await client.config_get("port") == {"port": "0"}
        assert await client.config_get("unixsocket") == {"unixsocket": str(embedded.socket)}
        assert await client.config_get("unixsocketperm") == {"unixsocketperm": "700"}
        info = await client.info("server")
        assert info["process_id"] == embedded.pid
        assert info["tcp_port"] == 0
    finally:
        await client.aclose()
    assert stat.S_IMODE(embedded.socket.stat().st_mode) == 0o700
    assert stat.S_IMODE(embedded.dir.stat().st_mode) == 0o700


async def test_runs_with_aof_and_the_settings_of_config_redis_conf(
    embedded: EmbeddedRedis, data_dir: str
) -> None:
    client = Redis.from_url(embedded_url(data_dir))
    try:
        got = {}
        for key in (*DURABILITY, "timeout", "dir", "daemonize", "logfile"):
            got.update(await client.config_get(key))
    finally:
        await client.aclose()
    assert got == {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "aof-use-rdb-preamble": "yes",
        "save": "3600 1 300 100 60 10000",
        "maxmemory-policy": "noeviction",
        "timeout": "0",
        "dir": str(embedded.dir),
        "daemonize": "no",
        "logfile": str(embedded.log),
    }
    assert (embedded.dir / "appendonlydir").is_dir()


async def test_data_survives_a_stop_and_a_start(data_dir: str) -> None:
    first = EmbeddedRedis(data_dir)
    first.start()
    try:
        client = Redis.from_url(embedded_url(data_dir))
        await client.set("ogedge:test:durable", "kept")
        await client.aclose()
    finally:
        first.stop()
    assert first.pid is None and not embedded_socket(data_dir).exists()
    with EmbeddedRedis(data_dir) as second:
        client = Redis.from_url(second.url)
        try:
            assert await client.get("ogedge:test:durable") == b"kept"
        finally:
            await client.aclose()


def test_the_process_is_gone_after_stop_and_stop_is_idempotent(data_dir: str) -> None:
    server = EmbeddedRedis(data_dir)
    server.start()
    pid = server.pid
    assert pid is not None and _alive(pid)
    assert Path(f"/proc/{pid}/comm").read_text().strip().startswith("redis-server")
    # A session (and process group) of its own: a terminal's Ctrl-C goes to Granian only.
    assert os.getsid(pid) == pid and os.getpgid(pid) != os.getpgid(0)
    server.stop()
    assert not _alive(pid)
    assert not server.socket.exists()  # SHUTDOWN removes it
    server.stop()  # a second stop is a no-op


def test_stop_ends_a_server_whose_socket_and_final_snapshot_are_gone(data_dir: str) -> None:
    # SHUTDOWN cannot be sent and the RDB cannot be written: SIGTERM (shutdown-on-sigterm
    # force) still ends it, well before the SIGKILL deadline.
    server = EmbeddedRedis(data_dir)
    server.start()
    pid = server.pid
    assert pid is not None
    shutil.rmtree(server.dir)
    started = time.monotonic()
    server.stop(timeout=10)
    assert not _alive(pid)
    assert time.monotonic() - started < 5


def test_a_second_launcher_on_the_same_data_dir_fails_while_the_first_runs(
    embedded: EmbeddedRedis, data_dir: str
) -> None:
    with pytest.raises(EmbeddedRedisError) as raised:
        EmbeddedRedis(data_dir).start()
    message = _one_line(raised.value)
    assert "already served" in message and f"pid {os.getpid()}" in message
    assert "OGEDGE_REDIS_URL" in message
    # The first one is untouched and still answers.
    assert embedded.pid is not None and _alive(embedded.pid)
    assert _answers(embedded.socket)


def test_a_second_ogedge_process_on_the_same_data_dir_fails_too(
    embedded: EmbeddedRedis, data_dir: str
) -> None:
    # flock is per open file: another process is refused just as another launcher is.
    code = (
        "import sys; from proxy.state.embedded import EmbeddedRedis, EmbeddedRedisError\n"
        "try:\n    EmbeddedRedis(sys.argv[1]).start()\n"
        "except EmbeddedRedisError as exc:\n    print(exc); sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, data_dir], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "already served" in done.stdout


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


def test_a_stale_socket_left_by_a_crash_is_removed(data_dir: str) -> None:
    sock = embedded_socket(data_dir)
    sock.parent.mkdir(parents=True)
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(sock))  # the file stays after close, and nothing answers on it
    assert sock.exists() and not _answers(sock)
    with EmbeddedRedis(data_dir) as server:
        assert _answers(sock) and server.version


def test_sigkill_of_the_parent_leaves_no_orphan_and_loses_no_write(data_dir: str) -> None:
    parent_code = textwrap.dedent(
        """
        import sys
        import redis
        from proxy.state.embedded import EmbeddedRedis
        server = EmbeddedRedis(sys.argv[1])
        server.start()
        redis.Redis(unix_socket_path=str(server.socket)).set("ogedge:test:orphan", "flushed")
        print(server.pid, flush=True)
        sys.stdin.read()  # until killed
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code, data_dir],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()  # bounded: the child's start() has a 15 s deadline
        assert line.strip().isdigit(), f"parent printed {line!r}, exit {parent.poll()}"
        pid = int(line)
        assert _alive(pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        _wait_gone(pid)  # PR_SET_PDEATHSIG: SIGTERM, and redis-server exits
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pipe in (parent.stdin, parent.stdout):
            if pipe is not None:
                pipe.close()
    # The lock died with the parent and SIGTERM flushed the AOF: a new launcher starts and
    # finds the write.
    with EmbeddedRedis(data_dir) as server:
        import redis

        client = redis.Redis(unix_socket_path=str(server.socket))
        try:
            assert client.get("ogedge:test:orphan") == b"flushed"
        finally:
            client.close()


def test_a_path_with_spaces_and_url_characters_works(tmp_path: Path) -> None:
    data_dir = _short_dir(prefix="oge emb #%?")
    try:
        with EmbeddedRedis(data_dir) as server:
            assert _answers(server.socket)
            client = Redis.from_url(embedded_url(data_dir))
            assert client.connection_pool.connection_kwargs["path"] == str(server.socket)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


# ---- failures, each one clear line ----------------------------------------------------------


def test_a_missing_executable_is_reported_before_anything_happens(data_dir: str) -> None:
    with pytest.raises(RedisNotInstalled) as raised:
        EmbeddedRedis(data_dir, executable="/nonexistent/redis-server")
    message = _one_line(raised.value)
    assert "apt-get install redis-server" in message and "OGEDGE_REDIS_URL" in message
    assert not Path(data_dir, "redis").exists()


def test_no_redis_server_on_path(data_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = Path(data_dir, "empty-bin")
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(RedisNotInstalled) as raised:
        EmbeddedRedis(data_dir)
    message = _one_line(raised.value)
    assert "not found on PATH" in message and "apt-get install redis-server" in message


def _fake_redis(directory: str, script: str, version: str = "7.0.0") -> str:
    """A redis-server stand-in: `--version` says `version`, anything else runs `script`."""
    path = Path(directory, "fake-redis-server")
    says = f'[ "$1" = --version ] && echo "Redis server v={version} sha=0 bits=64" && exit 0\n'
    path.write_text("#!/bin/sh\n" + says + script)
    path.chmod(0o755)
    return str(path)


def test_a_server_that_exits_at_once_is_reported_with_its_log(data_dir: str) -> None:
    fake = _fake_redis(data_dir, 'echo "*** FATAL CONFIG FILE ERROR: no such thing" >&2\nexit 1\n')
    with pytest.raises(EmbeddedRedisError) as raised:
        EmbeddedRedis(data_dir, executable=fake).start()
    message = _one_line(raised.value)
    assert "exited with code 1" in message and "FATAL CONFIG FILE ERROR" in message
    assert "redis.log" in message
    # Nothing is left holding the data dir.
    with EmbeddedRedis(data_dir) as server:
        assert server.version


def test_a_server_that_never_answers_times_out(data_dir: str) -> None:
    fake = _fake_redis(data_dir, "exec sleep 60\n")
    server = EmbeddedRedis(data_dir, executable=fake)
    with pytest.raises(EmbeddedRedisError) as raised:
        server.start(timeout=0.5)
    assert "did not answer" in _one_line(raised.value)
    assert server.pid is None  # the process was stopped


def test_an_old_redis_is_refused_before_it_runs(data_dir: str) -> None:
    marker = Path(data_dir, "ran")
    old = _fake_redis(data_dir, f"touch '{marker}'\nexec sleep 60\n", version="6.0.16")
    with pytest.raises(EmbeddedRedisError, match=r"Redis 6\.0\.16; ogedge needs Redis >= 6\.2"):
        installed_version(old)
    with pytest.raises(EmbeddedRedisError, match=r"Redis 6\.0\.16; ogedge needs Redis >= 6\.2"):
        EmbeddedRedis(data_dir, executable=old).start()
    assert not marker.exists()
    # The real one, as `ogedge doctor` reports it.
    real = installed_version(shutil.which("redis-server") or "redis-server")
    assert tuple(int(p) for p in real.split(".")[:2]) >= (6, 2)


def test_a_socket_path_over_the_limit_is_refused(data_dir: str) -> None:
    deep = os.path.join(data_dir, "d" * (SOCKET_PATH_MAX - len(data_dir)))
    with pytest.raises(EmbeddedRedisError) as raised:
        EmbeddedRedis(deep)
    message = _one_line(raised.value)
    assert f"{SOCKET_PATH_MAX}-byte limit" in message and "OGEDGE_DATA_DIR" in message
    assert not os.path.exists(deep)


# ---- one config, config/redis.conf ------------------------------------------------------------


def test_the_embedded_config_keeps_every_line_of_config_redis_conf_but_the_network_ones() -> None:
    repo = (ROOT / "config" / "redis.conf").read_text()
    assert base_config() == repo  # importlib.resources finds the very file
    base = _directives(repo)
    embedded = _directives(embedded_config("/srv/ogedge", "7.0.15"))
    kept = [line for line in base if line.split()[0].lower() not in NOT_EMBEDDED]
    assert embedded[: len(kept)] == kept
    # Durability and eviction come from config/redis.conf, and are never dropped.
    for key in (*DURABILITY, "timeout"):
        assert any(line.split()[0] == key for line in base), f"config/redis.conf lacks {key}"
        assert key not in NOT_EMBEDDED
    assert "appendonly yes" in embedded and "maxmemory-policy noeviction" in embedded
    # The networked lines are not there; the embedded ones are, once each.
    keys = [line.split()[0] for line in embedded]
    for key in ("bind", "protected-mode", "tcp-keepalive"):
        assert key not in keys
    assert embedded[len(kept) :] == [
        "port 0",
        'unixsocket "/srv/ogedge/redis/redis.sock"',
        "unixsocketperm 700",
        'dir "/srv/ogedge/redis"',
        "daemonize no",
        'logfile "/srv/ogedge/redis/redis.log"',
        "shutdown-on-sigterm force",
    ]
    # Redis 6.2 does not know shutdown-on-sigterm (and would refuse to start).
    assert "shutdown-on-sigterm force" not in embedded_config("/srv/ogedge", "6.2.14")


def test_config_redis_conf_is_package_data() -> None:
    # An installed (non-editable) ogedge still has config/redis.conf for base_config().
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert any(fnmatch("config", pattern) for pattern in project["packages"]["find"]["include"])
    patterns = [p for key in ("*", "config") for p in project["package-data"].get(key, [])]
    assert any(fnmatch("redis.conf", pattern) for pattern in patterns), patterns
