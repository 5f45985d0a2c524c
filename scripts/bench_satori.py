"""Render benchmark: ogedge's renderer against satori + @resvg/resvg-js (the engine of @vercel/og).

The same card on both: the blog template at og size (1200x630, midnight palette), the same
texts, the same Inter files from the system and the same avatar and logo PNG bytes. Each
engine renders it N times in one thread after a warm-up, with "#i" appended to the title so
no text raster is reused; the figure is SVG/PNG-to-PNG wall time (satori's SVG then resvg's
PNG, against renderer.render). The Node side is scripts/satori/render.mjs, installed with
`npm install` into scripts/satori/node_modules (git-ignored). Without node/npm, or if the
install fails, prints why and exits 0.

    .venv/bin/python scripts/bench_satori.py [--iterations 40] [--warmup 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyvips

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import renderer  # noqa: E402
from renderer import Assets, RenderSpec  # noqa: E402

SATORI = ROOT / "scripts" / "satori"
OUT = ROOT / "bench-out"
TEXTS = {
    "title": "Shipping a faster image pipeline with libvips and Pango",
    "description": "How we cut social card render times by 90% while improving typography.",
    "tag": "Engineering",
    "author": "Ada Lovelace",
}
TARGET = 0.25


def make_assets(directory: Path) -> tuple[Path, Path]:
    """A 256x256 photo-like avatar and a 440x96 logo with alpha, written as PNG files."""
    directory.mkdir(parents=True, exist_ok=True)
    xyz = pyvips.Image.xyz(256, 256)
    x, y = xyz[0], xyz[1]
    avatar = x.bandjoin([y, (x + y) / 2]).cast("uchar")
    avatar = avatar + pyvips.Image.gaussnoise(256, 256, sigma=12, mean=0)
    logo = pyvips.Image.black(440, 96, bands=3).linear(1, [143, 162, 255]).cast("uchar")
    alpha = (pyvips.Image.xyz(440, 96)[0] < 400).ifthenelse(255, 0).cast("uchar")
    paths = directory / "avatar.png", directory / "logo.png"
    avatar.cast("uchar").pngsave(str(paths[0]))
    logo.bandjoin(alpha).pngsave(str(paths[1]))
    return paths


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_ogedge(assets: Assets, iterations: int, warmup: int) -> dict[str, Any]:
    def spec(i: int) -> RenderSpec:
        return RenderSpec(
            template="blog", kind="og", **{**TEXTS, "title": f"{TEXTS['title']} #{i}"}
        )

    for i in range(warmup):
        renderer.render(spec(-1 - i), assets)
    times: list[float] = []
    data = b""
    for i in range(iterations):
        started = time.perf_counter()
        data = renderer.render(spec(i), assets).data
        times.append((time.perf_counter() - started) * 1000)
    (OUT / "satori-ogedge.png").write_bytes(data)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "bytes": len(data),
        "libvips": ".".join(str(pyvips.version(n)) for n in range(3)),
    }


def bench_satori(
    avatar: Path, logo: Path, iterations: int, warmup: int
) -> tuple[dict[str, Any] | None, str]:
    """(result, reason when skipped)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, "node and npm are needed (Node.js 18+); not found on PATH"
    install = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=SATORI,
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:
        return None, f"`npm install` in {SATORI} failed:\n{install.stderr.strip()[-2000:]}"
    proc = subprocess.run(
        [
            node,
            str(SATORI / "render.mjs"),
            "--spec",
            json.dumps(TEXTS),
            "--avatar",
            str(avatar),
            "--logo",
            str(logo),
            "--iterations",
            str(iterations),
            "--warmup",
            str(warmup),
            "--out",
            str(OUT / "satori-satori.png"),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return None, f"render.mjs failed:\n{proc.stderr.strip()[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1]), ""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    avatar, logo = make_assets(OUT / "satori-assets")
    assets = Assets(avatar=avatar.read_bytes(), logo=logo.read_bytes())
    og = bench_ogedge(assets, args.iterations, args.warmup)
    print(
        f"  ogedge   median {og['median_ms']:.2f} ms  p95 {og['p95_ms']:.2f} ms  {og['bytes']:,} B",
        file=sys.stderr,
    )
    sat, reason = bench_satori(avatar, logo, args.iterations, args.warmup)
    results: dict[str, Any] = {"ogedge": og, "satori": sat, "skipped": reason or None}
    (OUT / "satori.json").write_text(json.dumps(results, indent=2))
    print(
        f"\nCommand: .venv/bin/python scripts/bench_satori.py --iterations {args.iterations}; "
        f"blog card, og 1200x630, one thread, {args.warmup} warm-up renders excluded\n"
    )
    print("| engine | median ms | p95 ms | bytes | ogedge / satori | target |")
    print("|---|---:|---:|---:|---:|---|")
    ratio = og["median_ms"] / sat["median_ms"] if sat else None
    print(
        f"| ogedge (libvips {og['libvips']}) | {og['median_ms']:.2f} | {og['p95_ms']:.2f} | "
        f"{og['bytes']:,} | {f'{ratio:.0%}' if ratio else ''} | ogedge <= 25% of satori's time |"
    )
    if sat is None:
        print(f"| satori + resvg | skipped | | | | |\n\nsatori skipped: {reason}")
        return 0
    print(
        f"| satori {sat['satori']} + resvg {sat['resvg']} (Node {sat['node']}) | "
        f"{sat['median_ms']:.2f} | {sat['p95_ms']:.2f} | {sat['bytes']:,} | | |"
    )
    ok = ratio is not None and ratio <= TARGET
    print(f"\ntarget {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
