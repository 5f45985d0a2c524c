"""All published comparisons in one run on one machine (issue 5, item 6); `./dev bench`.

Runs, one after the other:
  1. scripts/bench_hot_path.py      /i/ cache hits and 304s, ogedge against nginx (k6)
  2. scripts/bench_render_peers.py  the blog card through ogedge's renderer against satori +
                                    resvg and Takumi: PNG/JPEG/WebP renders, cold starts
  3. scripts/bench_generate.py      the Render API and the mixed realistic scenario (k6)
and prints one Markdown table with the machine and the command. Each script's own output goes
to stderr as it runs; their JSON results (bench-out/) feed the table, which also goes to
bench-out/bench_all.md. About 3.5 minutes with the default --duration 20s.

    ./dev bench [--duration 20s] [--vus 32] [--workers N] [--iterations 40] [--rounds 3]
        [--cold-runs 5]
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
    density, t_density = run_density(args.iterations)
    load_after = os.getloadavg()

    command = f"./dev bench --duration {args.duration}"
    if args.vus != 32 or args.iterations != 40:
        command += f" --vus {args.vus} --iterations {args.iterations}"
    if args.rounds != 3 or args.cold_runs != 5:
        command += f" --rounds {args.rounds} --cold-runs {args.cold_runs}"
    lines = [
        f"Machine: {machine()}.",
        f"Run: {started}, load average {load_before[0]:.2f} before and {load_after[0]:.2f} after; "
        f"{args.workers} Granian worker(s); {t_hot + t_sat + t_gen + t_density:.0f} s "
        f"(hot path {t_hot:.0f} s, renders {t_sat:.0f} s, generation {t_gen:.0f} s, "
        f"density {t_density:.0f} s).",
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

        row("Render API: new renders (4 connections)", "", g(gen["new"]))
        row("Render API: dedup hits (8 connections)", "", g(gen["dedup"]))
        row(
            "mixed: 85% `/i/` hits, 10% 304s, 4% new renders, 1% on-demand (16 conn.)",
            "",
            g(gen["mixed"]),
        )
        row("mixed, the same run: `/i/` hits and 304s only", "", g(gen["mixed"], hit=True))
    else:
        row("generation and mixed scenario", "failed: see the output above", "")
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
    if not (hot and sat and gen and density):
        print("\nsome benchmarks did not produce results (see above)")
        return 2
    print(f"\nheadline targets {'met' if all(verdicts) else 'NOT all met'}")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
