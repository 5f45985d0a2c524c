"""Hot-path benchmark: ogedge's /i/<slug> against nginx serving the same bytes from disk.

One run, one machine, one k6 script (k6/hot_path.js) at the same load for both:
  1. cache hits, closed loop (max req/s), nginx then ogedge
  2. 304 revalidations, closed loop, nginx then ogedge
  3. the weighted mix (hits, 304s, 404s) on ogedge
  4. ogedge at half its measured hit rate, open loop: p99 latency
ogedge runs as `ogedge serve` (Granian, one worker per core) with Redis on and rate limiting
active. Prints a Markdown table; raw k6 summaries go to bench-out/.

    ./dev bench [--duration 10s] [--vus 32] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from k6_run import OUT, run_k6  # noqa: E402

import config  # noqa: E402
import renderer  # noqa: E402
from devkit.ogedge import OgEdgeServer, png_bytes, seed  # noqa: E402
from devkit.servers import RedisProcess, free_port, wait_port  # noqa: E402
from proxy.secret import load_secret  # noqa: E402
from proxy.signing import SigningKeys  # noqa: E402
from proxy.signing.make import sign_fields  # noqa: E402
from proxy.storage import create_storage  # noqa: E402

N_SLUGS = 20

NGINX_CONF = """
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location /i/ {{
            default_type image/png;
            add_header Cache-Control "public, max-age=31536000, immutable";
            add_header X-Content-Type-Options nosniff;
        }}
    }}
}}
"""


def k6(
    name: str,
    base: str,
    slugs: list[str],
    mode: str,
    load: str,
    args: argparse.Namespace,
    rate: int = 0,
    urls: list[str] | None = None,
) -> dict[str, float]:
    env = {
        "BASE_URL": base,
        "SLUGS": ",".join(slugs),
        "URLS": ",".join(urls or []),
        "MODE": mode,
        "LOAD": load,
        "DURATION": args.duration,
        "VUS": str(args.vus),
        "RATE": str(rate),
    }
    metrics, thresholds_ok = run_k6("hot_path.js", name, env)
    d = metrics["http_req_duration"]
    result = {
        "rps": metrics["http_reqs"]["rate"],
        "med_ms": d["med"],
        "p99_ms": d["p(99)"],
        "failed": metrics["http_req_failed"]["value"],
        "thresholds_ok": float(thresholds_ok),
    }
    print(
        f"  {name:<24} {result['rps']:>9.0f} req/s  med {result['med_ms']:.2f} ms  "
        f"p99 {result['p99_ms']:.2f} ms  failed {result['failed']:.4f}",
        file=sys.stderr,
        flush=True,
    )
    return result


async def signed_urls(settings: config.Settings, n: int) -> list[str]:
    """`n` signed render URLs of different blog cards (a signing key made for the run)."""
    storage = await create_storage(settings.storage)
    try:
        keys = SigningKeys(storage, await load_secret(settings.server.secret, storage))
        await keys.create("bench")
        urls = []
        for i in range(n):
            spec = renderer.RenderSpec(template="blog", title=f"Signed card {i}", tag="Bench")
            url = urlsplit(await sign_fields(keys, "http://x", "bench", spec))
            urls.append(f"{url.path}?{url.query}")
        return urls
    finally:
        await storage.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--vus", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ogedge-bench-"))
    tmp.chmod(0o755)  # nginx workers run unprivileged and must read the files
    redis = RedisProcess().start()
    env = {
        "OGEDGE_DATA_DIR": str(tmp / "data"),
        "OGEDGE_REDIS_URL": redis.url,
        "OGEDGE_IMAGE_RATE": "1000000",
        "OGEDGE_IMAGE_BURST": "1000000",
        "OGEDGE_LOG_LEVEL": "warning",
    }
    settings = config.load(env)
    slugs = [f"Bench{n:07d}" for n in range(N_SLUGS)]
    root = tmp / "nginx-root"
    (root / "i").mkdir(parents=True)
    sizes = []
    for n, slug in enumerate(slugs):
        data = png_bytes(seed_value=n)
        sizes.append(len(data))
        asyncio.run(seed(settings, slug, data))
        (root / "i" / slug).write_bytes(data)
    port = free_port()
    (tmp / "nginx.conf").write_text(
        NGINX_CONF.format(workers=args.workers, tmp=tmp, port=port, root=root)
    )
    nginx_proc = subprocess.Popen(
        [nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    urls = asyncio.run(signed_urls(settings, N_SLUGS))
    ogedge = OgEdgeServer(env, workers=args.workers)
    results: dict[str, dict[str, float]] = {}
    try:
        wait_port(port, proc=nginx_proc)
        ogedge.start()
        ng, og = f"http://127.0.0.1:{port}", ogedge.url
        print(
            f"bench: {N_SLUGS} PNGs of ~{sum(sizes) // len(sizes) // 1024} KB, {args.vus} VUs, "
            f"{args.duration} each, {args.workers} worker(s) per server",
            file=sys.stderr,
        )
        k6(
            "warmup",
            og,
            slugs,
            "hits",
            "closed",
            argparse.Namespace(**{**vars(args), "duration": "3s"}),
        )
        results["nginx_hits"] = k6("nginx_hits", ng, slugs, "hits", "closed", args)
        results["ogedge_hits"] = k6("ogedge_hits", og, slugs, "hits", "closed", args)
        results["nginx_304"] = k6("nginx_304", ng, slugs, "revalidate", "closed", args)
        results["ogedge_304"] = k6("ogedge_304", og, slugs, "revalidate", "closed", args)
        results["ogedge_mix"] = k6("ogedge_mix", og, slugs, "mix", "closed", args)
        # Signed render URLs: their first request renders (done here), then they are /i/ hits.
        for url in urls:
            with urllib.request.urlopen(og + url, timeout=60) as first:
                assert first.status == 200, url
        results["ogedge_og_hits"] = k6("ogedge_og_hits", og, slugs, "og", "closed", args, urls=urls)
        half = int(results["ogedge_hits"]["rps"] / 2)
        # The same open-loop rate on nginx shows how much of the tail the load generator,
        # sharing the machine's cores, adds to any server.
        results["nginx_half_rate"] = k6(
            "nginx_half_rate", ng, slugs, "hits", "open", args, rate=half
        )
        results["ogedge_half_rate"] = k6(
            "ogedge_half_rate", og, slugs, "hits", "open", args, rate=half
        )
    finally:
        ogedge.stop()
        nginx_proc.terminate()
        nginx_proc.wait(10)
        redis.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    hit_ratio = results["ogedge_hits"]["rps"] / results["nginx_hits"]["rps"]
    nm_ratio = results["ogedge_304"]["rps"] / results["nginx_304"]["rps"]
    p99_half = results["ogedge_half_rate"]["p99_ms"]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"\nMachine: {machine}; {time.strftime('%Y-%m-%d')}; "
        f"command: ./dev bench --duration {args.duration} --vus {args.vus}\n"
    )
    print(
        "| scenario | nginx req/s | ogedge req/s | ogedge / nginx | target | nginx p99 ms | ogedge p99 ms |"
    )
    print("|---|---:|---:|---:|---|---:|---:|")

    def row(name: str, key: str, target: str, ratio: bool = True) -> None:
        ng, og = results.get(f"nginx_{key}"), results[f"ogedge_{key}"]
        cells = [
            name,
            f"{ng['rps']:,.0f}" if ng else "",
            f"{og['rps']:,.0f}",
            f"{og['rps'] / ng['rps']:.0%}" if ng and ratio else "",
            target,
            f"{ng['p99_ms']:.2f}" if ng else "",
            f"{og['p99_ms']:.2f}",
        ]
        print("| " + " | ".join(cells) + " |")

    row(f"{N_SLUGS} PNGs of ~60 KB: cache hits", "hits", ">= 50% of nginx")
    row("304 revalidations", "304", ">= 40% of nginx")
    row("mix: 70% hits, 20% 304, 10% 404", "mix", "")
    og_ratio = results["ogedge_og_hits"]["rps"] / results["ogedge_hits"]["rps"]
    results["nginx_og_hits"] = results["nginx_hits"]
    row(
        f"`/og/` signed-URL hits ({og_ratio:.0%} of `/i/` hits)",
        "og_hits",
        ">= 80% of /i/ hits",
    )
    row(
        f"hits at half ogedge's rate ({half:,}/s, open loop)",
        "half_rate",
        "p99 < 5 ms",
        ratio=False,
    )
    (OUT / "hot_path.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=2)
    )
    ok = hit_ratio >= 0.5 and nm_ratio >= 0.4 and p99_half < 5 and og_ratio >= 0.8
    print(f"\ntargets {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
