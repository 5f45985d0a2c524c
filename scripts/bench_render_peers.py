"""Render benchmark: ogedge's renderer against its peers, satori + resvg and Takumi.

The same card on every engine: the blog template at og size (1200x630, midnight palette), the
same texts, the same Inter files from the system (fontconfig's Inter 400/600/700, passed to the
Node scripts by path) and the same avatar and logo PNG bytes.

  ogedge   renderer.render in this process (PNG, JPEG q86, WebP q82: its defaults)
  satori   satori 0.63 + @resvg/resvg-js 2.6 (the engine of @vercel/og): scripts/satori/render.mjs
           (PNG only: resvg encodes nothing else)
  Takumi   @takumi-rs/core (Rust): scripts/takumi/render.mjs (PNG, JPEG q86, WebP q82)

Warm renders: --rounds interleaved rounds (the engine order rotates each round); in each, every
engine renders each of its formats --warmup times untimed, then --iterations times timed, one
render at a time on one thread (VIPS_CONCURRENCY, RAYON_NUM_THREADS and UV_THREADPOOL_SIZE are
set to 1; --threads 0 leaves each engine its default pools). A Node engine gets a new process
per round; ogedge's renderer stays warm in this one. Every render appends "#n" to the title with
n counting up over the round, so no title raster is reused, and every engine gets the same
titles. Medians and p95 pool all rounds; bytes are the last card of each round (the same title
on every engine), median over rounds.

Cold start: process spawn → the card file closed after writing (inotify IN_CLOSE_WRITE; process
exit where inotify is unavailable), median of --cold-runs spawns per engine, interleaved, after
one untimed spawn each to warm the page cache: `ogedge render … --format png -o FILE` from this
virtualenv, and `node render.mjs --cold --out FILE` for satori and Takumi.

The Node modules come from each folder's package-lock.json: `scripts/install.sh bench` runs
`npm ci` there, and so does this script when node_modules is missing or older than the lockfile.
An engine without node/npm, or whose install fails, is reported as skipped. Results go to
bench-out/render_peers.json (read by scripts/bench_all.py) and the cards to
bench-out/render-peers/. Exit status 1 when a measured target is not met.

    .venv/bin/python scripts/bench_render_peers.py [--rounds 3] [--iterations 40] [--warmup 3]
        [--cold-runs 5] [--threads 1] [--engines ogedge satori takumi]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import select
import shutil
import statistics
import struct
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

OUT = ROOT / "bench-out"
CARDS = OUT / "render-peers"
RESULT = OUT / "render_peers.json"
TEXTS = {
    "title": "Shipping a faster image pipeline with libvips and Pango",
    "description": "How we cut social card render times by 90% while improving typography.",
    "tag": "Engineering",
    "author": "Ada Lovelace",
}
FORMATS = {"ogedge": ("png", "jpeg", "webp"), "satori": ("png",), "takumi": ("png", "jpeg", "webp")}
NODE_DIRS = {"satori": ROOT / "scripts" / "satori", "takumi": ROOT / "scripts" / "takumi"}
THREAD_VARS = ("VIPS_CONCURRENCY", "RAYON_NUM_THREADS", "UV_THREADPOOL_SIZE")
# (peer, measure, format, ogedge / peer limit or None for reported only). satori's is the
# README's headline; Takumi's are the product issue's goal (PNG ≤ 0.5x the time at ≤ its bytes,
# WebP ≤ 0.8x the time at ≤ its bytes, cold start ≤ Takumi's); JPEG has no target.
TARGETS: list[tuple[str, str, str, float | None]] = [
    ("satori", "time", "png", 0.25),
    ("takumi", "time", "png", 0.5),
    ("takumi", "bytes", "png", 1.0),
    ("takumi", "time", "jpeg", None),
    ("takumi", "bytes", "jpeg", None),
    ("takumi", "time", "webp", 0.8),
    ("takumi", "bytes", "webp", 1.0),
    ("takumi", "cold", "png", 1.0),
]
SHORT = {"satori": "satori + resvg", "takumi": "Takumi"}
FORMAT_LABEL = {"png": "PNG", "jpeg": "JPEG q86", "webp": "WebP q82"}


def make_assets(directory: Path) -> tuple[Path, Path]:
    """A 256x256 photo-like avatar (fixed-seed noise) and a 440x96 logo with alpha, as PNG files."""
    directory.mkdir(parents=True, exist_ok=True)
    xyz = pyvips.Image.xyz(256, 256)
    x, y = xyz[0], xyz[1]
    avatar = x.bandjoin([y, (x + y) / 2]).cast("uchar")
    avatar = avatar + pyvips.Image.gaussnoise(256, 256, sigma=12, mean=0, seed=1)
    logo = pyvips.Image.black(440, 96, bands=3).linear(1, [143, 162, 255]).cast("uchar")
    alpha = (pyvips.Image.xyz(440, 96)[0] < 400).ifthenelse(255, 0).cast("uchar")
    paths = directory / "avatar.png", directory / "logo.png"
    avatar.cast("uchar").pngsave(str(paths[0]))
    logo.bandjoin(alpha).pngsave(str(paths[1]))
    return paths


def inter_files() -> list[str]:
    """Inter 400, 600 and 700 as fontconfig resolves them (what Pango draws ogedge's text with)."""
    return [
        subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, check=True
        ).stdout
        for pattern in ("Inter:regular", "Inter:semibold", "Inter:bold")
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def title(n: int | None) -> str:
    return TEXTS["title"] if n is None else f"{TEXTS['title']} #{n}"


class CloseWriteWatch:
    """When a file in one directory is closed after writing: Linux inotify through libc."""

    IN_CLOSE_WRITE = 0x08
    IN_CLOEXEC = 0o2000000

    def __init__(self, directory: Path) -> None:
        self.fd = -1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(self.IN_CLOEXEC)
        except (OSError, AttributeError):
            return
        if fd < 0:
            return
        if libc.inotify_add_watch(fd, os.fsencode(directory), self.IN_CLOSE_WRITE) < 0:
            os.close(fd)
            return
        self.fd = fd

    @property
    def available(self) -> bool:
        return self.fd >= 0

    def _drain(self, want: bytes) -> bool:
        buf = os.read(self.fd, 65536)
        offset, seen = 0, False
        while offset + 16 <= len(buf):
            _wd, mask, _cookie, length = struct.unpack_from("iIII", buf, offset)
            name = buf[offset + 16 : offset + 16 + length].rstrip(b"\0")
            offset += 16 + length
            seen = seen or (bool(mask & self.IN_CLOSE_WRITE) and name == want)
        return seen

    def wait(self, name: str, proc: subprocess.Popen[bytes], timeout: float) -> float | None:
        """perf_counter() when `name` is closed after writing; None if `proc` ends first."""
        want = os.fsencode(name)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            now = time.perf_counter()
            if ready and self._drain(want):
                return now
            if not ready and proc.poll() is not None:
                ready, _, _ = select.select([self.fd], [], [], 0)
                return time.perf_counter() if ready and self._drain(want) else None
        return None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def spawn_to_written(
    cmd: list[str], out: Path, env: dict[str, str], watch: CloseWriteWatch
) -> tuple[float, float]:
    """(ms from spawn to `out` written, ms from spawn to exit)."""
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    written = watch.wait(out.name, proc, 120) if watch.available else None
    _, err = proc.communicate(timeout=120)
    exited = time.perf_counter()
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {err.decode()[-2000:]}")
    return ((written or exited) - started) * 1000, (exited - started) * 1000


def ogedge_round(
    assets: Assets, start: int, iterations: int, warmup: int
) -> dict[str, tuple[list[float], int]]:
    """{format: (render ms, bytes of the last card)}; the last cards go to CARDS."""
    n = start
    results: dict[str, tuple[list[float], int]] = {}
    for fmt in FORMATS["ogedge"]:

        def render(i: int, fmt: str = fmt) -> bytes:
            spec = RenderSpec(
                template="blog", kind="og", format=fmt, **{**TEXTS, "title": title(i)}
            )
            return renderer.render(spec, assets).data

        for _ in range(warmup):
            render(n)
            n += 1
        times: list[float] = []
        data = b""
        for _ in range(iterations):
            started = time.perf_counter()
            data = render(n)
            times.append((time.perf_counter() - started) * 1000)
            n += 1
        (CARDS / f"ogedge.{fmt}").write_bytes(data)
        results[fmt] = (times, len(data))
    return results


class NodeEngine:
    def __init__(self, name: str, common: list[str], env: dict[str, str]) -> None:
        self.name, self.dir, self.common, self.env = name, NODE_DIRS[name], common, env
        self.node = shutil.which("node") or "node"
        self.info: dict[str, Any] = {}

    def prepare(self) -> str:
        """'' when ready, else why the engine is skipped."""
        npm = shutil.which("npm")
        if not shutil.which("node") or not npm:
            return "node and npm are needed (Node.js 18+); not found on PATH"
        stamp = self.dir / "node_modules" / ".package-lock.json"
        lock = self.dir / "package-lock.json"
        if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
            return ""
        print(f"  npm ci in {self.dir}", file=sys.stderr, flush=True)
        install = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=self.dir,
            capture_output=True,
            text=True,
        )
        if install.returncode != 0:
            return f"`npm ci` in {self.dir} failed:\n{install.stderr.strip()[-2000:]}"
        return ""

    def round(self, start: int, iterations: int, warmup: int) -> dict[str, tuple[list[float], int]]:
        cmd = [self.node, str(self.dir / "render.mjs"), *self.common]
        cmd += ["--iterations", str(iterations), "--warmup", str(warmup), "--start", str(start)]
        cmd += ["--out-dir", str(CARDS)]
        if self.name == "takumi":
            cmd += ["--formats", ",".join(FORMATS["takumi"])]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"{self.name} render.mjs failed:\n{proc.stderr.strip()[-2000:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        self.info = {k: v for k, v in out.items() if k != "results"}
        return {f: (r["times_ms"], r["bytes"]) for f, r in out["results"].items()}

    def cold_cmd(self, out: Path) -> list[str]:
        cmd = [self.node, str(self.dir / "render.mjs"), "--cold", "--out", str(out), *self.common]
        return [*cmd, "--format", "png"] if self.name == "takumi" else cmd

    def label(self) -> str:
        if self.name == "satori":
            return f"satori {self.info.get('version', '?')} + resvg {self.info.get('resvg', '?')}"
        return f"Takumi {self.info.get('version', '?')}"


def summarise(rounds: list[tuple[list[float], int]]) -> dict[str, Any]:
    times = [t for ts, _ in rounds for t in ts]
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 0.95),
        "bytes": round(statistics.median(b for _, b in rounds)),
        "round_medians_ms": [statistics.median(ts) for ts, _ in rounds],
        "round_bytes": [b for _, b in rounds],
        "samples": len(times),
    }


def comparisons(engines: dict[str, dict[str, Any]], cold_runs: int) -> list[dict[str, Any]]:
    """One row per TARGETS entry: what bench_all.py and this script's table print."""
    og = engines["ogedge"]
    rows: list[dict[str, Any]] = []
    for peer, measure, fmt, limit in TARGETS:
        ref = engines.get(peer)
        if ref is None:
            continue
        what = {"time": "time", "bytes": "bytes", "cold": "cold start"}[measure]
        if measure == "cold":
            scenario = (
                f"cold start: spawn → first {FORMAT_LABEL[fmt]} card written, median of {cold_runs}"
            )
        else:
            threads = ", 1 thread" if measure == "time" else ""
            scenario = f"render: blog card, og 1200x630 {FORMAT_LABEL[fmt]} {what}{threads}"
        row: dict[str, Any] = {
            "peer": peer,
            "measure": measure,
            "format": fmt,
            "scenario": scenario,
            "limit": limit,
            "target": "" if limit is None else f"<= {limit:.0%} of {SHORT[peer]}'s {what}",
        }
        if ref["skipped"]:
            row.update(
                reference=f"skipped: {ref['skipped'].splitlines()[0]}", ogedge="", ratio=None
            )
            row["met"] = None
            rows.append(row)
            continue
        if measure == "cold":
            a, b = og["cold"], ref["cold"]
            ov, rv = a["median_ms"], b["median_ms"]
            row["ogedge"] = f"{ov:.0f} ms (exit {a['exit_median_ms']:.0f} ms)"
            row["reference"] = f"{ref['label']}: {rv:.0f} ms (exit {b['exit_median_ms']:.0f} ms)"
        else:
            a, b = og["formats"][fmt], ref["formats"][fmt]
            if measure == "time":
                ov, rv = a["median_ms"], b["median_ms"]
                row["ogedge"] = f"{ov:.1f} ms (p95 {a['p95_ms']:.1f}), {a['bytes']:,} B"
                row["reference"] = (
                    f"{ref['label']}: {rv:.1f} ms (p95 {b['p95_ms']:.1f}), {b['bytes']:,} B"
                )
            else:
                ov, rv = a["bytes"], b["bytes"]
                row["ogedge"] = f"{ov:,} B"
                row["reference"] = f"{ref['label']}: {rv:,} B"
        row["ogedge_value"], row["reference_value"] = ov, rv
        row["ratio"] = ov / rv
        row["met"] = None if limit is None else row["ratio"] <= limit
        rows.append(row)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=40, help="per engine, format and round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed, per format and round")
    parser.add_argument("--cold-runs", type=int, default=5, help="spawns per engine")
    parser.add_argument("--threads", type=int, default=1, choices=[0, 1], help="0: engine defaults")
    parser.add_argument(
        "--engines", nargs="+", default=["satori", "takumi"], choices=["satori", "takumi"]
    )
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    CARDS.mkdir(exist_ok=True)
    RESULT.unlink(missing_ok=True)
    env = dict(os.environ)
    if args.threads == 1:
        env.update(dict.fromkeys(THREAD_VARS, "1"))
        pyvips.concurrency_set(1)
    avatar, logo = make_assets(OUT / "render-peers-assets")
    assets = Assets(avatar=avatar.read_bytes(), logo=logo.read_bytes())
    fonts = inter_files()
    common = ["--spec", json.dumps(TEXTS), "--avatar", str(avatar), "--logo", str(logo)]
    common += ["--fonts", ",".join(fonts)]
    peers = {name: NodeEngine(name, common, env) for name in args.engines}
    skipped = {name: engine.prepare() for name, engine in peers.items()}
    for name, reason in skipped.items():
        if reason:
            print(f"  {name} skipped: {reason}", file=sys.stderr)
    active = ["ogedge", *(n for n in args.engines if not skipped[n])]
    load_before = os.getloadavg()
    started_at = time.strftime("%Y-%m-%d %H:%M %Z")

    warm: dict[str, dict[str, list[tuple[list[float], int]]]] = {n: {} for n in active}
    per_round = len(FORMATS["ogedge"]) * (args.warmup + args.iterations)
    for r in range(args.rounds):
        order = active[r % len(active) :] + active[: r % len(active)]
        for name in order:
            start = r * per_round
            if name == "ogedge":
                got = ogedge_round(assets, start, args.iterations, args.warmup)
            else:
                got = peers[name].round(start, args.iterations, args.warmup)
            for fmt, result in got.items():
                warm[name].setdefault(fmt, []).append(result)
            medians = "  ".join(
                f"{f} {statistics.median(t):.1f} ms {b:,} B" for f, (t, b) in got.items()
            )
            print(f"  round {r + 1} {name:<7} {medians}", file=sys.stderr, flush=True)

    cold_dir = CARDS / "cold"
    cold_dir.mkdir(exist_ok=True)
    ogedge_cli = Path(sys.executable).with_name("ogedge")
    texts = [f"--{k}={v}" for k, v in TEXTS.items()]

    def ogedge_cold(out: Path) -> list[str]:
        return [
            *(str(ogedge_cli), "render", "--template=blog", "--kind=og", *texts),
            *("--avatar", str(avatar), "--logo", str(logo), "--format=png", "-o", str(out)),
        ]

    cold_cmds = {"ogedge": ogedge_cold, **{n: peers[n].cold_cmd for n in active if n != "ogedge"}}
    watch = CloseWriteWatch(cold_dir)
    cold: dict[str, list[tuple[float, float]]] = {n: [] for n in active}
    for name in active:  # untimed: page cache, fontconfig cache
        spawn_to_written(
            cold_cmds[name](cold_dir / f"{name}.png"), cold_dir / f"{name}.png", env, watch
        )
    for i in range(args.cold_runs):
        for name in active[i % len(active) :] + active[: i % len(active)]:
            out = cold_dir / f"{name}.png"
            cold[name].append(spawn_to_written(cold_cmds[name](out), out, env, watch))
    cold_method = "inotify IN_CLOSE_WRITE" if watch.available else "process exit"
    watch.close()
    load_after = os.getloadavg()

    vips = ".".join(str(pyvips.version(n)) for n in range(3))
    engines: dict[str, dict[str, Any]] = {}
    for name in ["ogedge", *args.engines]:
        if skipped.get(name):
            engines[name] = {"label": SHORT[name], "skipped": skipped[name]}
            continue
        info = {"libvips": vips} if name == "ogedge" else peers[name].info
        engines[name] = {
            "label": f"ogedge (libvips {vips})" if name == "ogedge" else peers[name].label(),
            "skipped": None,
            "info": info,
            "formats": {fmt: summarise(rs) for fmt, rs in warm[name].items()},
            "cold": {
                "median_ms": statistics.median(w for w, _ in cold[name]),
                "exit_median_ms": statistics.median(e for _, e in cold[name]),
                "runs_ms": [w for w, _ in cold[name]],
                "exit_runs_ms": [e for _, e in cold[name]],
            },
        }
    rows = comparisons(engines, args.cold_runs)
    threads = "one thread per engine" if args.threads == 1 else "engines' default thread pools"
    command = (
        f".venv/bin/python scripts/bench_render_peers.py --rounds {args.rounds} "
        f"--iterations {args.iterations} --warmup {args.warmup} --cold-runs {args.cold_runs}"
        + (" --threads 0" if args.threads == 0 else "")
    )
    results = {
        "command": command,
        "started": started_at,
        "load_before": load_before,
        "load_after": load_after,
        "rounds": args.rounds,
        "iterations": args.iterations,
        "warmup": args.warmup,
        "cold_runs": args.cold_runs,
        "cold_method": cold_method,
        "threads": dict.fromkeys(THREAD_VARS, "1") if args.threads == 1 else None,
        "texts": TEXTS,
        "fonts": fonts,
        "engines": engines,
        "comparisons": rows,
    }
    RESULT.write_text(json.dumps(results, indent=2))

    print(
        f"\nCommand: {command}\nRun: {started_at}, load average {load_before[0]:.2f} before and "
        f"{load_after[0]:.2f} after; blog card, og 1200x630, {threads}; {args.rounds} interleaved "
        f"rounds x {args.iterations} renders per engine and format ({args.warmup} warm-up renders "
        f"excluded); cold start: spawn → card written ({cold_method}), median of {args.cold_runs}\n"
    )
    print("| engine | format | median ms | p95 ms | round medians ms | bytes |")
    print("|---|---|---:|---:|---|---:|")
    for e in engines.values():
        if e["skipped"]:
            print(f"| {e['label']} | skipped: {e['skipped'].splitlines()[0]} | | | | |")
            continue
        for fmt, s in e["formats"].items():
            spread = ", ".join(f"{m:.1f}" for m in s["round_medians_ms"])
            print(
                f"| {e['label']} | {FORMAT_LABEL[fmt]} | {s['median_ms']:.1f} | {s['p95_ms']:.1f} "
                f"| {spread} | {s['bytes']:,} |"
            )
        c = e["cold"]
        runs = ", ".join(f"{m:.0f}" for m in c["runs_ms"])
        print(
            f"| {e['label']} | cold start | {c['median_ms']:.0f} | | {runs} "
            f"(exit: {c['exit_median_ms']:.0f}) | |"
        )
    print("\n| comparison | reference | ogedge | ogedge / reference | target | met |")
    print("|---|---:|---:|---:|---|---|")
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.0%}"
        met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
        print(
            f"| {row['scenario']} | {row['reference']} | {row['ogedge']} | {ratio} "
            f"| {row['target']} | {met} |"
        )
    missed = [r for r in rows if r["met"] is False]
    measured = [r for r in rows if r["met"] is not None]
    verdict = "NOT all met" if missed else "met" if measured else "not measured (peers skipped)"
    print(f"\ntargets {verdict} ({len(missed)} of {len(measured)} missed)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
