"""Generation benchmark: the Render API (new renders, dedup hits) and /i/ hits while renders run.

Starts redis-server and `ogedge serve` (local storage, Redis on), creates an API key, seeds
cards for /i/ and spec-only slugs for on-demand renders, then runs k6/generate.js four times:
new renders, dedup hits, the mixed scenario, and its baseline (the same /i/ hits and 304s at
the same connection count with no renders). It also times the k6 card rendered alone in this
process (one thread), the reference of the Render API's throughput target (issue 11, point 4:
>= 80% of cores / single-render time).

    .venv/bin/python scripts/bench_generate.py [--duration 10s] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from k6_run import OUT, run_k6  # noqa: E402

import config  # noqa: E402
from devkit.ogedge import OgEdgeServer, png_bytes, seed  # noqa: E402
from devkit.servers import RedisProcess  # noqa: E402
from proxy import layout  # noqa: E402
from proxy.keys import KeyRegistry  # noqa: E402
from proxy.records import SpecRecord  # noqa: E402
from proxy.storage import create_storage  # noqa: E402


async def prepare(settings: config.Settings) -> tuple[str, list[str], list[str]]:
    storage = await create_storage(settings.storage)
    try:
        key, _ = await KeyRegistry(storage).create("bench", rate=1e6, burst=1_000_000)
        hits = [f"BenchHit{n:04d}" for n in range(20)]
        for n, slug in enumerate(hits):
            await seed(settings, slug, png_bytes(seed_value=n))
        pending = [f"BenchFbk{n:04d}" for n in range(200)]
        for slug in pending:
            spec = {"template": "docs", "title": f"Rendered on first request {slug}"}
            record = SpecRecord(slug=slug, project="bench", spec=spec, created=time.time())
            await storage.put(layout.spec(slug), msgspec.json.encode(record), "application/json")
        return key, hits, pending
    finally:
        await storage.close()


def k6(name: str, scenario: str, vus: int, env: dict[str, str], duration: str) -> dict[str, float]:
    m, thresholds_ok = run_k6(
        "generate.js",
        f"generate_{name}",
        {"SCENARIO": scenario, "VUS": str(vus), "DURATION": duration, **env},
    )
    out = {
        "rps": m["http_reqs"]["rate"],
        "med_ms": m["http_req_duration"]["med"],
        "p95_ms": m["http_req_duration"]["p(95)"],
        "p99_ms": m["http_req_duration"]["p(99)"],
        "checks": m["checks"]["value"],
        "thresholds_ok": float(thresholds_ok),
    }
    hit = m.get("http_req_duration{op:hit}")
    if hit:
        out |= {"hit_med_ms": hit["med"], "hit_p95_ms": hit["p(95)"], "hit_p99_ms": hit["p(99)"]}
    print(f"  {name:<8} {json.dumps({k: round(v, 2) for k, v in out.items()})}", file=sys.stderr)
    return out


def single_render_ms(n: int = 30) -> float:
    """Median time of the k6 scenario's card rendered alone here, one thread, new titles."""
    import renderer

    def once(i: int) -> float:
        spec = renderer.RenderSpec(
            template="blog", title=f"Card alone {i}", description="Load test card", tag="k6"
        )
        t = time.perf_counter()
        renderer.render(spec)
        return (time.perf_counter() - t) * 1000

    for i in range(5):  # fonts, templates and background layers, as a serving worker has them
        once(-i)
    times = sorted(once(i) for i in range(n))
    return times[n // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ogedge-genbench-"))
    redis = RedisProcess().start()
    env = {
        "OGEDGE_DATA_DIR": str(tmp / "data"),
        "OGEDGE_REDIS_URL": redis.url,
        "OGEDGE_SECRET": "bench",
        "OGEDGE_LOG_LEVEL": "warning",
        "OGEDGE_IMAGE_RATE": "1000000",
        "OGEDGE_IMAGE_BURST": "1000000",
    }
    settings = config.load(env)
    key, hits, pending = asyncio.run(prepare(settings))
    alone_ms = single_render_ms()
    print(f"  the k6 card rendered alone: {alone_ms:.1f} ms median", file=sys.stderr)
    server = OgEdgeServer(env, workers=args.workers)
    try:
        server.start()
        base = {"BASE_URL": server.url, "API_KEY": key, "RUN_ID": str(int(time.time()))}
        new = k6("new", "new", 4, base, args.duration)
        dedup = k6("dedup", "dedup", 8, base, args.duration)
        slugs = {"SLUGS": ",".join(hits), "FALLBACK_SLUGS": ",".join(pending)}
        baseline = k6("baseline", "baseline", 16, {**base, **slugs}, args.duration)
        mixed = k6("mixed", "mixed", 16, {**base, **slugs}, args.duration)
    finally:
        server.stop()
        redis.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nCommand: .venv/bin/python scripts/bench_generate.py --duration {args.duration}\n")
    print("| scenario | req/s | median ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| new renders (4 connections) | {new['rps']:,.0f} | {new['med_ms']:.1f} | {new['p95_ms']:.1f} | {new['p99_ms']:.1f} |"
    )
    print(
        f"| dedup hits (8 connections) | {dedup['rps']:,.0f} | {dedup['med_ms']:.1f} | {dedup['p95_ms']:.1f} | {dedup['p99_ms']:.1f} |"
    )
    print(
        f"| mixed, all requests (16 connections) | {mixed['rps']:,.0f} | {mixed['med_ms']:.1f} | {mixed['p95_ms']:.1f} | {mixed['p99_ms']:.1f} |"
    )
    print(
        f"| mixed, /i/ hits and 304s only | | {mixed['hit_med_ms']:.1f} | {mixed['hit_p95_ms']:.1f} | {mixed['hit_p99_ms']:.1f} |"
    )
    print(
        f"| baseline: the same /i/ load, no renders | {baseline['rps']:,.0f} | {baseline['hit_med_ms']:.1f} | {baseline['hit_p95_ms']:.1f} | {baseline['hit_p99_ms']:.1f} |"
    )
    print(f"\nthe k6 card rendered alone here (1 thread): {alone_ms:.1f} ms median")
    result = {
        "new": new,
        "dedup": dedup,
        "mixed": mixed,
        "baseline": baseline,
        "single_render_ms": alone_ms,
        "cores": os.cpu_count() or 1,
    }
    (OUT / "generate.json").write_text(json.dumps(result, indent=2))
    return 0 if all(r["thresholds_ok"] for r in (new, dedup, mixed, baseline)) else 1


if __name__ == "__main__":
    sys.exit(main())
