"""The hot path measured with wrk, one card and beyond the hot cache (issue 11, points 3 and 7).

k6 spends more CPU per request than nginx does, so on shared cores it caps nginx and flatters
every ratio; wrk (C, one thread) does not. Against nginx serving the very same files from the
data directory (an `alias` onto `images/<slug>/card.png`), this measures:

  1. one card (a real blog card, PNG): cache hits and 304 revalidations, req/s and p99;
  2. N cards for each N in --cards (1,000 / 10,000 / 100,000 by default), every request a
     random slug, with `OGEDGE_CACHE_HOT_BYTES` at 1 MiB so every ogedge hit is a file sent by
     Granian's `http.response.pathsend`, not a body from memory;
  3. for every run, the server's CPU time per request (user + system of its whole process
     group, from /proc), a ratio that needs no saturation and no idle load generator;
  4. the floor: a bare ASGI app on Granian with the same options (scripts/granian_floor.py),
     the same card from memory with the same headers, so the table shows how much of the gap
     to nginx is the server stack rather than ogedge.

Every measured run follows a warm-up: one unmeasured wrk run for one card; for N cards, HEAD
sweeps over every slug (--warm-rounds, 4 by default: with W workers a worker has seen a given
slug with probability 1 - (1 - 1/W)^rounds, 94% for two) so the numbers are the steady state
of a long-running server, not its first sight of each card.

Cards for N are 64 distinct ~64 KB PNGs written under N slugs through ogedge's own storage
code (distinct files, 6.4 GB at 100,000; both servers read the same files, so the OS page
cache is the same for both). Results: bench-out/scale.json

    {"one_card": {"<server>_hits"|"<server>_304": RUN}, server: nginx, ogedge or floor
     "cards": {"<N>": {"nginx": RUN, "ogedge": RUN}}, "card_bytes": int}
    RUN = {"rps", "p50_ms", "p99_ms", "requests", "cpu_us_per_req"}

    .venv/bin/python scripts/bench_scale.py [--duration 8s] [--cards 1000,10000,100000]
        [--warm-rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import config  # noqa: E402
import renderer  # noqa: E402
from devkit.ogedge import OgEdgeServer, png_bytes  # noqa: E402
from devkit.servers import RedisProcess, free_port, wait_port  # noqa: E402
from proxy.publish import publish  # noqa: E402
from proxy.records import SpecRecord  # noqa: E402
from proxy.storage import create_storage  # noqa: E402

OUT = ROOT / "bench-out"
CLK = os.sysconf("SC_CLK_TCK")
DISTINCT = 64
NGINX_CONF = """
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    # Open descriptors count against RLIMIT_NOFILE (20,000 here): a cache larger than that
    # answers 500 ("Too many open files") once a worker has opened that many cards.
    open_file_cache max={open_files} inactive=60s;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location ~ ^/i/(?<slug>[A-Za-z0-9]+)$ {{
            default_type image/png;
            alias {data}/images/$slug/card.png;
            add_header Cache-Control "public, max-age=31536000, immutable";
            add_header X-Content-Type-Options nosniff;
        }}
    }}
}}
"""
# wrk's Lua: a random slug from the file given after `--` per request.
RANDOM_SLUGS = """
local slugs = {}
init = function(args) for line in io.lines(args[1]) do slugs[#slugs + 1] = line end end
request = function() return wrk.format("GET", "/i/" .. slugs[math.random(#slugs)]) end
"""


def open_file_cache_max() -> int:
    """nginx's open_file_cache size: most of a worker's descriptor limit, the rest left for
    connections and logs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1000, min(100_000, soft - 8192))


def group_cpu(pgid: int) -> float:
    """User + system seconds of every live process in process group `pgid`."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields[0] is the state: pgrp is the 5th stat field
            total += int(fields[11]) + int(fields[12])
    return total / CLK


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise ValueError(f"wrk printed a latency this script cannot read: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def wrk(
    url: str, pgid: int, duration: str, options: list[str], script_args: tuple[str, ...]
) -> dict[str, float]:
    """One wrk run (one thread, 32 connections); `script_args` go to its Lua script."""
    before = group_cpu(pgid)
    cmd = ["wrk", "-t1", "-c32", f"-d{duration}", "--latency", *options, url]
    if script_args:
        cmd += ["--", *script_args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600).stdout
    cpu = group_cpu(pgid) - before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, out
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        # Anchored to the line: "87.50%" in the Stdev column must not read as the 50th percentile.
        "p50_ms": _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "p99_ms": _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        "requests": float(requests),
        "cpu_us_per_req": cpu / requests * 1e6,
    }
    print(
        f"  {url.split('/i/')[0]:<24} {result['rps']:>9,.0f} req/s  p99 {result['p99_ms']:.2f} ms"
        f"  {result['cpu_us_per_req']:.0f} us CPU/req",
        file=sys.stderr,
        flush=True,
    )
    return result


async def seed_cards(settings: config.Settings, slugs: list[str], cards: list[bytes]) -> None:
    """Publish each slug through ogedge's storage code, 256 at a time."""
    storage = await create_storage(settings.storage)
    try:
        for start in range(0, len(slugs), 256):
            await asyncio.gather(
                *(
                    publish(
                        storage,
                        SpecRecord(slug=s, project="bench", spec={"title": s}, format="png"),
                        cards[n % len(cards)],
                    )
                    for n, s in enumerate(slugs[start : start + 256], start)
                )
            )
    finally:
        await storage.close()


async def sweep(base: str, slugs: list[str], rounds: int, connections: int = 32) -> None:
    """HEAD every slug `rounds` times over `connections` keep-alive connections (warm-up)."""
    todo = iter([slug for _ in range(rounds) for slug in slugs])
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one_connection() -> None:
            for slug in todo:
                async with session.head(f"{base}/i/{slug}") as r:
                    if r.status != 200:
                        # Headers tell who answered (X-Request-Id: ogedge's app; none: the server).
                        raise AssertionError((slug, r.status, dict(r.headers)))

        await asyncio.gather(*(one_connection() for _ in range(connections)))


def etag_of(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as r:
        return str(r.headers["etag"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="8s")
    parser.add_argument("--cards", default="1000,10000,100000")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--warm-rounds", type=int, default=4, help="HEAD sweeps before N cards")
    args = parser.parse_args()
    counts = sorted(int(n) for n in args.cards.split(","))
    OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ogedge-scale-"))
    tmp.chmod(0o755)  # nginx workers run unprivileged and read the data directory
    data = tmp / "data"
    redis = RedisProcess().start()
    env = {
        "OGEDGE_DATA_DIR": str(data),
        "OGEDGE_REDIS_URL": redis.url,
        "OGEDGE_IMAGE_RATE": "1000000",
        "OGEDGE_IMAGE_BURST": "1000000",
        "OGEDGE_LOG_LEVEL": "warning",
        "OGEDGE_CACHE_HOT_BYTES": str(1 << 20),  # every hit beyond one card is read from disk
    }
    settings = config.load(env)
    blog = renderer.render(
        renderer.RenderSpec(title="Shipping faster social cards", tag="Engineering", author="Ada")
    ).data
    asyncio.run(seed_cards(settings, ["OneCard00000"], [blog]))
    pool = [png_bytes(seed_value=n) for n in range(DISTINCT)]
    port = free_port()
    (tmp / "nginx.conf").write_text(
        NGINX_CONF.format(
            workers=args.workers, tmp=tmp, port=port, data=data, open_files=open_file_cache_max()
        )
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    ng_proc = subprocess.Popen(
        [nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    card_file = tmp / "floor-card.png"
    card_file.write_bytes(blog)
    floor_port = free_port()
    floor_proc = subprocess.Popen(
        [
            *(str(Path(sys.executable).with_name("granian")), "--interface", "asgi", "--factory"),
            *("--workers", str(args.workers), "--loop", "uvloop", "--http", "1"),
            *("--host", "127.0.0.1", "--port", str(floor_port), "--log-level", "warning"),
            "scripts.granian_floor:create",
        ],
        cwd=ROOT,
        env={**os.environ, "OGEDGE_FLOOR_CARD": str(card_file)},
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    og = OgEdgeServer(env, workers=args.workers)
    results: dict[str, Any] = {"one_card": {}, "cards": {}, "card_bytes": len(blog)}
    try:
        wait_port(port, proc=ng_proc)
        wait_port(floor_port, proc=floor_proc)
        og.start()
        assert og.proc is not None
        servers: dict[str, tuple[str, int]] = {
            "nginx": (f"http://127.0.0.1:{port}", ng_proc.pid),
            "ogedge": (og.url, og.proc.pid),
            "floor": (f"http://127.0.0.1:{floor_port}", floor_proc.pid),
        }
        print(f"scale: one card of {len(blog):,} B, then {counts} cards", file=sys.stderr)

        def run(
            name: str, path: str, options: list[str], script_args: tuple[str, ...] = ()
        ) -> dict[str, float]:
            base, pgid = servers[name]
            return wrk(base + path, pgid, args.duration, options, script_args)

        for name, (base, _) in servers.items():
            etag = etag_of(f"{base}/i/OneCard00000")
            for kind, options in (("hits", []), ("304", ["-H", f"If-None-Match: {etag}"])):
                subprocess.run(  # warm-up, not measured
                    ["wrk", "-t1", "-c32", "-d2s", *options, f"{base}/i/OneCard00000"],
                    capture_output=True,
                    check=True,
                    timeout=60,
                )
                results["one_card"][f"{name}_{kind}"] = run(name, "/i/OneCard00000", options)
        seeded = 0
        script = tmp / "random.lua"
        script.write_text(RANDOM_SLUGS)
        for n in counts:
            slugs = [f"S{i:011d}" for i in range(n)]
            asyncio.run(seed_cards(settings, slugs[seeded:], pool))
            seeded = n
            listing = tmp / f"slugs-{n}.txt"
            listing.write_text("\n".join(slugs) + "\n")
            print(f" {n:,} cards", file=sys.stderr, flush=True)
            measured: dict[str, Any] = {}
            for name in ("nginx", "ogedge"):  # the floor serves one card only
                rounds = 1 if name == "nginx" else args.warm_rounds
                asyncio.run(sweep(servers[name][0], slugs, rounds))
                measured[name] = run(name, "/i/", ["-s", str(script)], (str(listing),))
            results["cards"][str(n)] = measured
    except BaseException:
        # The server's log lives in the temp dir removed below: show its tail first.
        print(f"ogedge server log (tail):\n{og.output()}", file=sys.stderr)
        errors = tmp / "nginx-error.log"
        if errors.exists():
            tail = errors.read_text(errors="replace").splitlines()[-20:]
            print("nginx error log (tail):", *tail, sep="\n", file=sys.stderr)
        raise
    finally:
        og.stop()
        os.killpg(floor_proc.pid, 15)
        floor_proc.wait(10)
        ng_proc.terminate()
        ng_proc.wait(10)
        redis.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    (OUT / "scale.json").write_text(json.dumps(results, indent=2))
    one = results["one_card"]
    print(
        "\n| wrk -t1 -c32 | nginx req/s | ogedge req/s | ratio | nginx CPU/req | ogedge CPU/req "
        "| bare Granian req/s, CPU/req |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows = [
        (
            f"one card ({len(blog):,} B): {k}",
            one[f"nginx_{k}"],
            one[f"ogedge_{k}"],
            one[f"floor_{k}"],
        )
        for k in ("hits", "304")
    ]
    rows += [
        (f"{n:,} cards, random slug", r["nginx"], r["ogedge"], None)
        for n, r in ((int(k), v) for k, v in results["cards"].items())
    ]
    for label, ng, og_r, fl in rows:
        floor = "" if fl is None else f"{fl['rps']:,.0f}, {fl['cpu_us_per_req']:.0f} us"
        print(
            f"| {label} | {ng['rps']:,.0f} | {og_r['rps']:,.0f} | {og_r['rps'] / ng['rps']:.2f} "
            f"| {ng['cpu_us_per_req']:.0f} us | {og_r['cpu_us_per_req']:.0f} us | {floor} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
