"""Micro-benchmark of the rate limiter's options for the /i/ hot path (a benchmark, not a test).

    .venv/bin/python scripts/bench_limiter.py redis://127.0.0.1:6379/0 [--seconds 3]

One process, one asyncio loop (uvloop when installed, as under Granian), bounded in time
(4 phases x --seconds, < 30 s at the maximum of 5 s). It writes keys under ogedge:rl:{bench-*} that
expire on their own within a few seconds. Measures:

  a1. RedisGCRA.acquire, sequential: one Redis round trip per request, back to back;
  a2. RedisGCRA.acquire, 64 concurrent tasks: the round trips overlapped, as under load;
  b.  ImageLimiter.check with the Redis reconciler running in the background (what /i/ runs),
      with 1,000 and with 10,000 distinct clients (every one of them in every sync round);
  c.  LocalGCRA.check alone (the floor), and the reconciler's sync rounds during (b).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redis.asyncio import Redis

from proxy.limits import ImageLimiter, LocalGCRA, Reconciler, RedisGCRA
from proxy.limits.redis_gcra import SYNC_CHUNK
from proxy.state import CircuitBreaker, SharedState


def shared(client: Redis, timeout: float, prefix: str) -> SharedState:
    return SharedState(client, CircuitBreaker(3, 2.0), timeout=timeout, prefix=prefix)


RATE = 1e6  # high enough that nothing is denied: the cost of deciding, not of refusing
BURST = 100
KEYS = [f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(10_000)]


def report(name: str, ops: int, elapsed: float) -> None:
    print(f"{name:<52} {ops / elapsed:>12,.0f} ops/s {elapsed / ops * 1e6:>10.2f} us/op")


async def acquire_sequential(gcra: RedisGCRA, scope: str, seconds: float) -> None:
    ops, n = 0, len(KEYS)
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(100):
            await gcra.acquire(scope, KEYS[ops % n], RATE, BURST)
            ops += 1
    report("a1. RedisGCRA.acquire, sequential", ops, time.perf_counter() - start)


async def acquire_concurrent(gcra: RedisGCRA, scope: str, seconds: float, tasks: int) -> None:
    counts = [0] * tasks
    start = time.perf_counter()
    deadline = start + seconds

    async def worker(w: int) -> None:
        i = w
        while time.perf_counter() < deadline:
            await gcra.acquire(scope, KEYS[i % len(KEYS)], RATE, BURST)
            counts[w] += 1
            i += tasks

    await asyncio.gather(*(worker(w) for w in range(tasks)))
    report(
        f"a2. RedisGCRA.acquire, {tasks} concurrent tasks", sum(counts), time.perf_counter() - start
    )


async def check_with_sync(
    client: Redis, scope: str, seconds: float, interval: float, active: int
) -> None:
    local = LocalGCRA(RATE, BURST)
    state = shared(client, 0.25, scope)
    breaker = state.breaker
    reconciler = Reconciler(local, RedisGCRA(state), interval)
    limiter = ImageLimiter(local, reconciler)
    limiter.start()
    check, n, ops = limiter.check, active, 0
    start = time.perf_counter()
    deadline = start + seconds
    try:
        while time.perf_counter() < deadline:
            # Yield now and then, as a server does between requests, so the sync task runs.
            for _ in range(1000):
                check(KEYS[ops % n])
                ops += 1
            await asyncio.sleep(0)
        elapsed = time.perf_counter() - start
    finally:
        await limiter.stop()
    report(
        f"b.  ImageLimiter.check + sync/{interval * 1000:.0f} ms, {active} clients", ops, elapsed
    )
    print(
        f"    sync rounds: {reconciler.syncs} ok, {reconciler.failed_syncs} failed, "
        f"breaker {breaker.state}; up to {active} keys per round"
    )


async def sync_round(client: Redis, scope: str, keys: int) -> None:
    gcra = RedisGCRA(shared(client, 5.0, scope))
    counts = {key: 1 for key in KEYS[:keys]}
    rounds = 5
    start = time.perf_counter()
    for _ in range(rounds):
        await gcra.sync(scope, counts, RATE, BURST)
    elapsed = (time.perf_counter() - start) / rounds
    pipelines = -(-keys // SYNC_CHUNK)
    print(
        f"    one sync round of {keys} keys ({pipelines} pipelines): {elapsed * 1000:.1f} ms, "
        f"{elapsed / keys * 1e6:.1f} us per key"
    )


def check_local(seconds: float) -> None:
    local = LocalGCRA(RATE, BURST)
    check, n, ops = local.check, len(KEYS), 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(1000):
            check(KEYS[ops % n])
            ops += 1
    report("c.  LocalGCRA.check alone", ops, time.perf_counter() - start)


async def main(url: str, seconds: float, tasks: int, interval: float) -> None:
    scope = f"bench-{uuid.uuid4().hex[:8]}"  # also the key prefix: a run of its own
    client = Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=1.0)
    try:
        await client.ping()
        gcra = RedisGCRA(shared(client, 5.0, scope))
        await acquire_sequential(gcra, scope, seconds)
        await acquire_concurrent(gcra, scope, seconds, tasks)
        await check_with_sync(client, scope, seconds / 2, interval, 1000)
        await check_with_sync(client, scope, seconds / 2, interval, len(KEYS))
        await sync_round(client, scope, 1000)
        check_local(seconds)
    finally:
        await client.aclose()


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="redis URL, e.g. redis://127.0.0.1:6379/0")
    parser.add_argument("--seconds", type=float, default=3.0, help="per phase (default 3)")
    parser.add_argument("--tasks", type=int, default=64, help="concurrent acquirers (default 64)")
    parser.add_argument("--interval", type=float, default=0.05, help="sync interval, s")
    parser.add_argument("--no-uvloop", action="store_true", help="use the default asyncio loop")
    args = parser.parse_args()
    if not 0 < args.seconds <= 5:
        parser.error("--seconds must be in (0, 5] so the whole run stays under 30 s")
    loop_factory = None
    if not args.no_uvloop:
        try:
            import uvloop

            loop_factory = uvloop.new_event_loop
        except ImportError:
            pass
    print(
        f"python {sys.version.split()[0]}, loop: {'uvloop' if loop_factory else 'asyncio'}, "
        f"{args.seconds:g} s per phase"
    )
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main(args.url, args.seconds, args.tasks, args.interval))


if __name__ == "__main__":
    run()
