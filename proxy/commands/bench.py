"""`ogedge bench <target>`: short, honest benchmarks. `render` times `renderer.render`.

Each iteration changes the title slightly so libvips' operation cache cannot serve a
previous text raster; static backgrounds stay cached, as in production.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import msgspec
import orjson

import renderer

__all__ = ["register"]

_TITLE = "Shipping a faster image pipeline with libvips and a pinch of Pango"
_DESCRIPTION = "How we cut social card render times by 90% while improving typography."


def _spec(template: str, kind: str, i: int, dpr: int = 1) -> renderer.RenderSpec:
    fields = {
        "template": template,
        "kind": kind,
        "dpr": dpr,
        "title": f"{_TITLE} #{i}",
        "description": _DESCRIPTION,
        "tag": "Engineering",
        "author": "Ada Lovelace",
    }
    return msgspec.convert(fields, renderer.RenderSpec)  # checks `kind` like the API would


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _bench_render(args: argparse.Namespace) -> int:
    templates = args.templates or renderer.available_templates()
    kinds = args.kinds or list(renderer.KINDS)
    threads = args.threads or os.cpu_count() or 1
    print(
        f"{'template':<10} {'kind':<9} {'dpr':>3} {'median ms':>9} {'p95 ms':>7} "
        f"{'renders/s':>10} {'bytes':>8}"
    )
    rows: list[dict[str, object]] = []
    for template in templates:
        for kind in kinds:
            for dpr in args.dpr:
                for i in range(2):  # warm caches (background, fonts) outside the measurement
                    renderer.render(_spec(template, kind, -1 - i, dpr))
                times: list[float] = []
                size = 0
                for i in range(args.iterations):
                    started = time.perf_counter()
                    card = renderer.render(_spec(template, kind, i, dpr))
                    times.append((time.perf_counter() - started) * 1000)
                    size = len(card.data)
                count = args.iterations * threads
                started = time.perf_counter()
                specs = [_spec(template, kind, i, dpr) for i in range(count)]
                with ThreadPoolExecutor(threads) as pool:
                    list(pool.map(renderer.render, specs))
                rate = count / (time.perf_counter() - started)
                row = {
                    "template": template,
                    "kind": kind,
                    "dpr": dpr,
                    "median_ms": statistics.median(times),
                    "p95_ms": _percentile(times, 0.95),
                    "renders_per_s": rate,
                    "bytes": size,
                }
                rows.append(row)
                print(
                    f"{template:<10} {kind:<9} {dpr:>3} {row['median_ms']:9.2f} "
                    f"{row['p95_ms']:7.2f} {rate:10.1f} {size:8d}"
                )
    if args.json:
        with open(args.json, "wb") as out:
            out.write(orjson.dumps({"threads": threads, "rows": rows}, option=orjson.OPT_INDENT_2))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("bench", help="micro-benchmarks")
    targets = parser.add_subparsers(dest="bench_target", required=True, metavar="TARGET")
    render = targets.add_parser("render", help="time renderer.render per template and kind")
    render.add_argument("--iterations", type=int, default=30)
    render.add_argument("--templates", nargs="*", help="default: all")
    render.add_argument("--kinds", nargs="*", choices=sorted(renderer.KINDS), help="default: all")
    render.add_argument("--threads", type=int, default=0, help="default: all cores")
    render.add_argument(
        "--dpr", nargs="*", type=int, default=[1], choices=renderer.DPRS, help="densities"
    )
    render.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    render.set_defaults(func=_bench_render)
