"""All published comparisons in one run on one machine (issue 5, item 6); `./dev bench`.

Runs, one after the other:
  1. scripts/bench_hot_path.py      /i/ cache hits and 304s, ogedge against nginx (k6)
  2. scripts/bench_render_peers.py  the blog card through ogedge's renderer against satori +
                                    resvg and Takumi: PNG/JPEG/WebP renders, cold starts
  3. scripts/bench_generate.py      the Render API, the mixed realistic scenario and its
                                    baseline (k6), against the single-render reference
  4. scripts/bench_scale.py         /i/ against nginx and a bare Granian app with wrk: one card,
                                    then 1k/10k/100k cards past the hot cache; CPU per request
  5. scripts/bench_inprocess.py     in-process costs: /og/ against /i/ hits, dedup hits
  6. ogedge bench render --dpr 1 2  the 2x density row
and prints one Markdown table with the machine and the command. Each script's own output goes
to stderr as it runs; their JSON results (bench-out/) feed the table, which also goes to
bench-out/bench_all.md. About 15 minutes with the defaults (seeding 100,000 cards is most of
the scale run).

    ./dev bench [--duration 20s] [--vus 32] [--workers N] [--iterations 40] [--rounds 3]
        [--cold-runs 5] [--wrk-duration 8s] [--cards 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
PY = sys.executable
RESULTS = {
    "hot_path": "hot_path.json",
    "renders": "render_peers.json",
    "generate": "generate.json",
    "scale": "scale.json",
    "inprocess": "inprocess.json",
}


def first_line(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        mem = "?"
    import pyvips

    vips = ".".join(str(pyvips.version(n)) for n in range(3))
    k6 = first_line([str(Path(PY).with_name("k6")), "version"]).split(" (")[0]
    nginx = first_line([shutil.which("nginx") or "/usr/sbin/nginx", "-v"]).split(": ")[-1]
    node = first_line(["node", "--version"]) if shutil.which("node") else "no Node.js"
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem}, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, Granian "
        f"{importlib.metadata.version('granian')}, libvips {vips}, {k6}, {nginx}, Node {node}; "
        "load generator, nginx, ogedge and Node share the same cores"
    )


def run(name: str, script: str, argv: list[str]) -> tuple[dict[str, Any] | None, float, int]:
    """(JSON result or None, seconds, exit code); output streams to stderr."""
    result = OUT / RESULTS[name]
    result.unlink(missing_ok=True)  # never read a previous run's figures
    print(f"\n=== {script} {' '.join(argv)}", file=sys.stderr, flush=True)
    started = time.monotonic()
    proc = subprocess.run([PY, str(ROOT / "scripts" / script), *argv], stdout=sys.stderr)
    elapsed = time.monotonic() - started
    data = json.loads(result.read_text()) if result.exists() else None
    return data, elapsed, proc.returncode


def run_density(iterations: int) -> tuple[dict[str, Any] | None, float]:
    """`ogedge bench render` of the blog card at dpr 1 and 2, one thread."""
    result = OUT / "density.json"
    result.unlink(missing_ok=True)
    cmd = [str(Path(PY).with_name("ogedge")), "bench", "render", "--templates", "blog"]
    cmd += ["--kinds", "og", "--dpr", "1", "2", "--threads", "1"]
    cmd += ["--iterations", str(iterations), "--json", str(result)]
    print(f"\n=== {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    subprocess.run(cmd, stdout=sys.stderr)
    elapsed = time.monotonic() - started
    return (json.loads(result.read_text()) if result.exists() else None), elapsed


def pct(value: float) -> str:
    return f"{value:.0%}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="20s", help="per k6 scenario (10 scenarios)")
    parser.add_argument("--vus", type=int, default=32, help="hot-path connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--iterations", type=int, default=40, help="renders per engine, format and round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved render rounds")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold-start spawns per engine")
    parser.add_argument("--wrk-duration", default="8s", help="per wrk run of the scale bench")
    parser.add_argument("--cards", default="1000,10000,100000", help="scale bench card counts")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    hot, t_hot, _ = run(
        "hot_path",
        "bench_hot_path.py",
        ["--duration", args.duration, "--vus", str(args.vus), "--workers", str(args.workers)],
    )
    sat, t_sat, _ = run(
        "renders",
        "bench_render_peers.py",
        [
            *("--iterations", str(args.iterations), "--rounds", str(args.rounds)),
            *("--cold-runs", str(args.cold_runs)),
        ],
    )
    gen, t_gen, _ = run(
        "generate",
        "bench_generate.py",
        ["--duration", args.duration, "--workers", str(args.workers)],
    )
    scale, t_scale, _ = run(
        "scale",
        "bench_scale.py",
        ["--duration", args.wrk_duration, "--cards", args.cards, "--workers", str(args.workers)],
    )
    inproc, t_inproc, _ = run("inprocess", "bench_inprocess.py", [])
    density, t_density = run_density(args.iterations)
    load_after = os.getloadavg()
    t_rest = t_scale + t_inproc + t_density

    command = f"./dev bench --duration {args.duration}"
    if args.vus != 32 or args.iterations != 40:
        command += f" --vus {args.vus} --iterations {args.iterations}"
    if args.rounds != 3 or args.cold_runs != 5:
        command += f" --rounds {args.rounds} --cold-runs {args.cold_runs}"
    if args.wrk_duration != "8s" or args.cards != "1000,10000,100000":
        command += f" --wrk-duration {args.wrk_duration} --cards {args.cards}"
    lines = [
        f"Machine: {machine()}.",
        f"Run: {started}, load average {load_before[0]:.2f} before and {load_after[0]:.2f} after; "
        f"{args.workers} Granian worker(s); {t_hot + t_sat + t_gen + t_rest:.0f} s "
        f"(hot path {t_hot:.0f} s, renders {t_sat:.0f} s, generation {t_gen:.0f} s, "
        f"scale {t_scale:.0f} s, in process {t_inproc:.0f} s, density {t_density:.0f} s).",
        f"Command: `{command}`",
        "",
        "| scenario | reference | ogedge | ogedge / reference | target | met |",
        "|---|---:|---:|---:|---|---|",
    ]
    verdicts: list[bool] = []

    def row(
        scenario: str, ref: str, og: str, ratio: str = "", target: str = "", ok: bool | None = None
    ) -> None:
        met = "" if ok is None else ("yes" if ok else "**no**")
        if ok is not None and target:
            verdicts.append(ok)
        lines.append(f"| {scenario} | {ref} | {og} | {ratio} | {target} | {met} |")

    def rps(r: dict[str, float]) -> str:
        return f"{r['rps']:,.0f} req/s, p99 {r['p99_ms']:.1f} ms"

    if hot:
        r = hot["results"]
        hits = r["ogedge_hits"]["rps"] / r["nginx_hits"]["rps"]
        nm = r["ogedge_304"]["rps"] / r["nginx_304"]["rps"]
        vus = f"{args.vus} connections"
        row(
            f"`/i/` cache hits, {vus} (nginx: same bytes from disk)",
            rps(r["nginx_hits"]),
            rps(r["ogedge_hits"]),
            pct(hits),
            ">= 50% of nginx req/s",
            hits >= 0.5,
        )
        row(
            f"`/i/` 304 revalidations, {vus}",
            rps(r["nginx_304"]),
            rps(r["ogedge_304"]),
            pct(nm),
            ">= 40% of nginx req/s",
            nm >= 0.4,
        )
        row("`/i/` mix: 70% hits, 20% 304, 10% 404", "", rps(r["ogedge_mix"]))
        og_hits = r["ogedge_og_hits"]["rps"] / r["ogedge_hits"]["rps"]
        row(
            f"`/og/` signed-URL hits, {vus} (reference: `/i/` hits; nginx "
            f"{r['nginx_hits']['rps']:,.0f} req/s)",
            rps(r["ogedge_hits"]),
            rps(r["ogedge_og_hits"]),
            pct(og_hits),
            ">= 80% of `/i/` hits (cost within 20%)",
            og_hits >= 0.8,
        )
        half = r["ogedge_half_rate"]
        row(
            f"`/i/` hits at half ogedge's rate ({half['rps']:,.0f}/s, open loop)",
            rps(r["nginx_half_rate"]),
            rps(half),
            "",
            "p99 < 5 ms (informative)",
        )
    else:
        row("`/i/` hits and 304s vs nginx", "failed: see the output above", "")
    if sat:
        og = sat["engines"]["ogedge"]
        samples = f"median of {sat['rounds']}x{sat['iterations']} interleaved"
        skipped: set[str] = set()
        for c in sat["comparisons"]:
            if c["ratio"] is None:  # the peer was skipped: one row says why
                if c["peer"] not in skipped:
                    skipped.add(c["peer"])
                    png = og["formats"]["png"]
                    row(
                        f"render: blog card, og 1200x630 PNG, vs {sat['engines'][c['peer']]['label']}",
                        c["reference"],
                        f"{png['median_ms']:.1f} ms (p95 {png['p95_ms']:.1f}), {png['bytes']:,} B",
                    )
                continue
            if c["peer"] == "satori":
                scenario = f"render: blog card, og 1200x630 PNG, 1 thread, {samples}"
            elif c["measure"] == "cold":
                scenario = f"vs Takumi: {c['scenario']}"
            else:
                label = {"png": "PNG", "jpeg": "JPEG q86", "webp": "WebP q82"}[c["format"]]
                what = (
                    f"{label} time, 1 thread, {samples}"
                    if c["measure"] == "time"
                    else f"{label} bytes"
                )
                scenario = f"vs Takumi: blog card, og 1200x630 {what}"
            row(scenario, c["reference"], c["ogedge"], pct(c["ratio"]), c["target"], c["met"])
    else:
        row("renders vs satori + resvg and Takumi", "failed: see the output above", "")
    if gen:

        def g(r: dict[str, float], hit: bool = False) -> str:
            p = "hit_" if hit else ""
            head = "" if hit else f"{r['rps']:,.0f} req/s, "
            return f"{head}median {r[p + 'med_ms']:.1f} ms, p99 {r[p + 'p99_ms']:.1f} ms"

        new, alone, cores = gen["new"], gen["single_render_ms"], gen["cores"]
        ideal = cores * 1000 / alone
        row(
            "Render API: new renders (4 connections)",
            f"{cores} cores / {alone:.1f} ms alone = {ideal:,.0f} renders/s",
            g(new),
            pct(new["rps"] / ideal),
            ">= 80% of cores / single-render time",
            new["rps"] >= 0.8 * ideal,
        )
        row(
            "Render API: new renders, p99 against median",
            f"median {new['med_ms']:.1f} ms",
            f"p99 {new['p99_ms']:.1f} ms",
            f"{new['p99_ms'] / new['med_ms']:.1f}x",
            "p99 <= 3x the median",
            new["p99_ms"] <= 3 * new["med_ms"],
        )
        row("Render API: dedup hits (8 connections)", "", g(gen["dedup"]))
        row(
            "mixed: 85% `/i/` hits, 10% 304s, 4% new renders, 1% on-demand (16 conn.)",
            "",
            g(gen["mixed"]),
        )
        base, mix = gen["baseline"], gen["mixed"]
        row(
            "mixed, the same run: `/i/` hits and 304s only (reference: the same `/i/` load, "
            "16 conn., no renders)",
            g(base, hit=True),
            g(mix, hit=True),
            f"{mix['hit_p99_ms'] / base['hit_p99_ms']:.1f}x p99",
            "`/i/` p99 <= 1.5x the no-render p99",
            mix["hit_p99_ms"] <= 1.5 * base["hit_p99_ms"],
        )
    else:
        row("generation and mixed scenario", "failed: see the output above", "")
    if scale:
        one = scale["one_card"]

        def w(r: dict[str, float]) -> str:
            return f"{r['rps']:,.0f} req/s, {r['cpu_us_per_req']:.0f} µs CPU/req"

        size = f"{scale['card_bytes']:,} B"
        for kind, label, floor in (("hits", "hits", 0.5), ("304", "304 revalidations", 0.4)):
            ng, og_r, fl = one[f"nginx_{kind}"], one[f"ogedge_{kind}"], one[f"floor_{kind}"]
            row(
                f"wrk -t1 -c32: `/i/` {label}, one card of {size} (bare Granian app: {w(fl)})",
                f"nginx {w(ng)}",
                w(og_r),
                f"{og_r['rps'] / ng['rps']:.2f} (CPU {ng['cpu_us_per_req'] / og_r['cpu_us_per_req']:.2f})",
                f">= {floor} of nginx",
                og_r["rps"] / ng["rps"] >= floor,
            )
        cards = {int(k): v for k, v in scale["cards"].items()}
        for n, r in sorted(cards.items()):
            ratio = r["ogedge"]["rps"] / r["nginx"]["rps"]
            row(
                f"wrk -t1 -c32: `/i/` hits over {n:,} cards, 1 MiB hot cache (files sent by Granian)",
                f"nginx {w(r['nginx'])}",
                w(r["ogedge"]),
                f"{ratio:.2f}",
                ">= 0.5 of nginx",
                ratio >= 0.5,
            )
        if len(cards) > 1:
            lo, hi = min(cards), max(cards)
            a, b = cards[lo]["ogedge"]["cpu_us_per_req"], cards[hi]["ogedge"]["cpu_us_per_req"]
            row(
                f"per-request cost from {lo:,} to {hi:,} cards (ogedge CPU/req)",
                f"{a:.0f} µs",
                f"{b:.0f} µs",
                f"{b / a:.2f}x",
                "flat: within 1.2x",
                b <= 1.2 * a,
            )
    else:
        row("wrk scale runs", "failed: see the output above", "")
    if inproc:
        i_hit, og_hit = inproc["OgEdge app hit"], inproc["OgEdge app /og/ hit"]
        row(
            "in process: `/og/` signed-URL hit against an `/i/` hit (whole app)",
            f"{i_hit:.2f} µs",
            f"{og_hit:.2f} µs",
            pct(og_hit / i_hit),
            "cost within 20% of an `/i/` hit",
            og_hit <= 1.2 * i_hit,
        )
        row(
            "in process: Render API dedup hit (whole app, auth and key limit)",
            "",
            f"median {inproc['dedup_median_ms']:.2f} ms, p95 {inproc['dedup_p95_ms']:.2f} ms",
            "",
            "median <= 1 ms",
            inproc["dedup_median_ms"] <= 1.0,
        )
    else:
        row("in-process costs", "failed: see the output above", "")
    if density:
        one, two = (next(r for r in density["rows"] if r["dpr"] == d) for d in (1, 2))
        row(
            "2x density (`dpr=2`): blog card 2400x1260 PNG against 1x, 1 thread",
            f"{one['median_ms']:.1f} ms, {one['bytes']:,} B",
            f"{two['median_ms']:.1f} ms, {two['bytes']:,} B",
            f"{two['median_ms'] / one['median_ms']:.1f}x time, 4x pixels",
            "PNG <= 1 MB (Bluesky; WhatsApp's 300 KB gets a JPEG)",
            two["bytes"] <= 1_000_000,
        )
    else:
        row("2x density", "failed: see the output above", "")

    table = "\n".join(lines)
    (OUT / "bench_all.md").write_text(table + "\n")
    print("\n" + table)
    if not (hot and sat and gen and scale and inproc and density):
        print("\nsome benchmarks did not produce results (see above)")
        return 2
    print(f"\nheadline targets {'met' if all(verdicts) else 'NOT all met'}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
