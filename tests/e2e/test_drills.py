"""Fault drills against a running `ogedge serve`: a misbehaving S3 endpoint (500s, slow
bodies, resets, refused connections) through `FaultProxy`, slowloris-style clients, and a
worker killed with SIGKILL. Redis stopped or frozen under load is in test_faults.py.

Every wait is bounded; the time limits are hang guards, not performance targets."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import config
from devkit.ogedge import seed
from devkit.servers import MotoProcess
from tests.e2e.conftest import Start, seed_card, unique_slug
from tests.support.faults import FaultProxy

pytestmark = pytest.mark.e2e
MAX_ATTEMPTS = 3
# Far above anything a healthy answer needs on a loaded 2-core machine, far below a hang.
HANG_GUARD = 8.0


@pytest.fixture
def proxy(moto_server: MotoProcess) -> Iterator[FaultProxy]:
    fault = FaultProxy(moto_server.port).start_in_thread()
    yield fault
    fault.stop()


def _envs(moto: MotoProcess, bucket: str, proxy: FaultProxy, data: Path) -> tuple[dict, dict]:
    """(server env through the proxy, seeding env straight to moto)."""
    direct = {
        "OGEDGE_S3_BUCKET": bucket,
        "OGEDGE_S3_ENDPOINT_URL": moto.url,
        "OGEDGE_S3_PREFIX": "drill",
        "OGEDGE_S3_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
        "OGEDGE_S3_CONNECT_TIMEOUT": "0.5",
        "OGEDGE_S3_READ_TIMEOUT": "1",
        "OGEDGE_DATA_DIR": str(data),
        "OGEDGE_IMAGE_RATE": "100000",
        "OGEDGE_IMAGE_BURST": "100000",
    }
    return {**direct, "OGEDGE_S3_ENDPOINT_URL": proxy.url}, direct


def _whole(r: httpx.Response, expected: bytes) -> None:
    """A 200 is only ever the complete image: its length is its Content-Length."""
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(r.content) == len(expected)
    assert r.content == expected


def test_s3_500s_retry_within_budget_hot_hits_served_misses_503(
    moto_server: MotoProcess, bucket: str, proxy: FaultProxy, tmp_path: Path, start_server: Start
) -> None:
    env, direct = _envs(moto_server, bucket, proxy, tmp_path)
    hot_slug, cold_slug = unique_slug("Hot"), unique_slug("Cold")
    hot, _ = seed_card(direct, hot_slug, 1)
    cold, _ = seed_card(direct, cold_slug, 2)
    server = start_server(env)
    with httpx.Client(base_url=server.url, timeout=HANG_GUARD) as c:
        _whole(c.get(f"/i/{hot_slug}"), hot)  # now in the hot cache
        proxy.mode = "http500"
        proxy.clear()
        for _ in range(5):
            _whole(c.get(f"/i/{hot_slug}"), hot)
        assert proxy.requests() == []  # hot hits never touch storage

        for _ in range(3):
            proxy.clear()
            started = time.monotonic()
            miss = c.get(f"/i/{cold_slug}")
            assert time.monotonic() - started < HANG_GUARD
            assert miss.status_code == 503, miss.text
            assert (
                miss.headers["retry-after"] == "2"
            )  # the same as the APIs answer (proxy/http/errors.py)
            attempts = proxy.per_call("http500")
            assert attempts, "the miss never reached storage"
            # Retried (more than one attempt), but never beyond the budget per storage call.
            assert max(attempts.values()) == MAX_ATTEMPTS, attempts
        proxy.mode = "pass"
        _whole(c.get(f"/i/{cold_slug}"), cold)  # and it recovers at once


async def _get_all(url: str, n: int) -> list[httpx.Response | Exception]:
    async with httpx.AsyncClient(timeout=HANG_GUARD) as c:

        async def one() -> httpx.Response | Exception:
            try:
                return await c.get(url)
            except httpx.TransportError as exc:
                return exc

        return list(await asyncio.gather(*(one() for _ in range(n))))


@pytest.mark.parametrize("fault", ["slow_body", "stalled_body", "reset", "refuse"])
async def test_slow_and_broken_bodies_never_give_a_short_200(
    fault: str,
    moto_server: MotoProcess,
    bucket: str,
    tmp_path: Path,
    start_server: Start,
) -> None:
    proxy = await FaultProxy(moto_server.port).start()
    try:
        env, direct = _envs(moto_server, bucket, proxy, tmp_path)
        # Too big for the hot cache: every GET streams from storage through the proxy.
        env["OGEDGE_CACHE_HOT_ITEM_MAX_BYTES"] = "1000"
        slug = unique_slug("Body")
        big = os.urandom(600_000)
        await seed(config.load(direct), slug, big)
        server = await asyncio.to_thread(start_server, env)
        url = f"{server.url}/i/{slug}"
        async with httpx.AsyncClient(timeout=HANG_GUARD) as c:
            _whole(await c.get(url), big)  # the metadata is cached from here on

        if fault == "slow_body":  # slow, but each read well inside the read timeout
            proxy.slow_chunk, proxy.slow_delay = 32 * 1024, 0.02
        elif fault == "stalled_body":  # mid-body, a gap longer than the read timeout (1 s)
            proxy.slow_after, proxy.slow_chunk, proxy.slow_delay = 100_000, 100_000, 2.5
        else:
            proxy.reset_after = 200_000
        proxy.mode = "slow_body" if fault == "stalled_body" else fault
        results = await _get_all(url, 6)
        ok = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 200]
        for r in ok:
            _whole(r, big)
        for r in results:
            if isinstance(r, httpx.Response):
                assert r.status_code in (200, 503), (r.status_code, r.text)
        if fault == "slow_body":
            assert len(ok) == len(results)
        else:
            assert ok == []  # the client sees an error (or a 503), never a short image

        proxy.mode = "pass"
        async with httpx.AsyncClient(timeout=HANG_GUARD) as c:
            _whole(await c.get(url), big)  # the server is fine afterwards
    finally:
        await proxy.aclose()


@pytest.mark.parametrize("fault", ["stall_before_body", "reset_after_headers"])
async def test_failure_before_the_first_body_byte_is_a_503_not_a_500(
    fault: str, moto_server: MotoProcess, bucket: str, tmp_path: Path, start_server: Start
) -> None:
    proxy = await FaultProxy(moto_server.port).start()
    try:
        env, direct = _envs(moto_server, bucket, proxy, tmp_path)
        env["OGEDGE_CACHE_HOT_ITEM_MAX_BYTES"] = "1000"
        slug = unique_slug("First")
        big = os.urandom(300_000)
        await seed(config.load(direct), slug, big)
        server = await asyncio.to_thread(start_server, env)
        url = f"{server.url}/i/{slug}"
        async with httpx.AsyncClient(timeout=HANG_GUARD) as c:
            _whole(await c.get(url), big)
        if fault == "stall_before_body":
            proxy.slow_after, proxy.slow_chunk, proxy.slow_delay = 0, 100_000, 2.5
            proxy.mode = "slow_body"
        else:
            proxy.reset_after = 0
            proxy.mode = "reset"
        results = await _get_all(url, 2)
        statuses = [r.status_code for r in results if isinstance(r, httpx.Response)]
        assert 500 not in statuses, statuses
    finally:
        await proxy.aclose()


def test_slowloris_connections_do_not_starve_others(
    s3_env: dict[str, str], start_server: Start
) -> None:
    env = {**s3_env, "OGEDGE_IMAGE_RATE": "100000", "OGEDGE_IMAGE_BURST": "100000"}
    slug = unique_slug("Loris")
    data, _ = seed_card(env, slug, 3)
    server = start_server(env)
    stop = threading.Event()
    socks: list[socket.socket] = []
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        socks.append(s)
        if i % 2:  # a whole request head announcing a body that never comes
            s.sendall(
                b"POST /api/v2/render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )

    rounds = threading.Semaphore(0)

    def dribble() -> None:  # the other half: a request line, one byte at a time
        line = b"GET /i/" + slug.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Slow: "
        i = 0
        while not stop.wait(0.2):
            for s in socks[::2]:
                with contextlib.suppress(OSError):
                    s.send(line[i : i + 1] or b"a")
            i += 1
            rounds.release()

    slow = threading.Thread(target=dribble, daemon=True)
    slow.start()
    try:
        for _ in range(5):  # the attack is under way: five dribbles on every slow socket
            assert rounds.acquire(timeout=HANG_GUARD)
        started = time.monotonic()
        with httpx.Client(base_url=server.url, timeout=HANG_GUARD) as c:
            for _ in range(20):
                _whole(c.get(f"/i/{slug}"), data)  # one kept-alive connection
        for _ in range(20):
            with httpx.Client(base_url=server.url, timeout=HANG_GUARD) as fresh:
                _whole(fresh.get(f"/i/{slug}"), data)  # new connections are accepted too
        assert time.monotonic() - started < HANG_GUARD
    finally:
        stop.set()
        slow.join(5)
        for s in socks:
            s.close()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Field 4 (after the parenthesised command, which may contain spaces) is the parent.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry))
    return found


def _workers(pid: int) -> set[int]:
    """Granian's worker processes: the server's forked children (same command line; the
    embedded redis-server is a child too, with a command line of its own)."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    workers = set()
    for child in _children(pid):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if cmd == own:
            workers.add(child)
    return workers


def test_a_killed_worker_is_replaced(s3_env: dict[str, str], start_server: Start) -> None:
    env = {**s3_env, "OGEDGE_IMAGE_RATE": "100000", "OGEDGE_IMAGE_BURST": "100000"}
    slug = unique_slug("Kill")
    data, _ = seed_card(env, slug, 4)
    server = start_server(env, workers=2)
    assert server.proc is not None
    deadline = time.monotonic() + 15
    # /healthz answers as soon as one worker is up: wait for both (the survivor must be
    # serving when its sibling dies, or nothing is listening for that moment).
    while time.monotonic() < deadline and (
        server.output().count("Started worker-") < 2 or len(_workers(server.proc.pid)) < 2
    ):
        time.sleep(0.1)
    before = _workers(server.proc.pid)
    assert len(before) == 2, (before, _children(server.proc.pid), server.output())
    victim = min(before)
    os.kill(victim, signal.SIGKILL)

    replaced: set[int] = set()
    served = 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        # New connections each time, so both workers' accept paths are exercised.
        with httpx.Client(base_url=server.url, timeout=HANG_GUARD) as c:
            _whole(c.get(f"/i/{slug}"), data)
            served += 1
        now = _workers(server.proc.pid)
        replaced = now - before
        if victim not in now and replaced and served >= 20:
            break
        time.sleep(0.05)
    assert victim not in _workers(server.proc.pid)
    assert len(replaced) == 1, (before, _workers(server.proc.pid), server.output())
    assert server.proc.poll() is None  # the server itself lives on
    with httpx.Client(base_url=server.url, timeout=HANG_GUARD) as c:
        for _ in range(10):
            _whole(c.get(f"/i/{slug}"), data)
