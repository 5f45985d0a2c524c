"""`ogedge check URL`: how a page will look when shared on each platform, and what each rejects.

Runs with this node's settings (config.load: OGEDGE_* and --config), so OGEDGE_FETCH_* apply to
its fetches. Prints a table, then each platform's problems (every finding with --verbose);
--json prints the report as GET /api/v2/check answers it. Exit codes: 0 no platform fails,
1 at least one fails, 2 bad input, configuration, or a page that cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import msgspec

import config
from proxy.check import ImageReport, PageChecker, PlatformReport, Report
from proxy.check.image_rules import FORMAT_NAMES, human_bytes
from proxy.errors import ServiceError
from proxy.netguard import GuardedClient

__all__ = ["register"]

_TITLE_SHOWN = 40
_MARK = {"ok": "ok", "warn": "warn", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check", help="how a page will look when shared (Facebook, X, LinkedIn, Slack…)"
    )
    parser.add_argument("url", metavar="URL", help="the page, http(s)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passed checks too")
    parser.add_argument("--config", help="TOML settings file (also OGEDGE_CONFIG)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load(toml_path=args.config)
    except config.ConfigError as exc:
        print(f"ogedge check: {exc}", file=sys.stderr)
        return 2
    try:
        report = asyncio.run(_check(settings, args.url))
    except ServiceError as exc:  # not an http(s) URL, or a page that cannot be read
        print(f"ogedge check: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(report), indent=2).decode())
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(report, verbose=args.verbose))
    return 1 if report.status == "fail" else 0


async def _check(settings: config.Settings, url: str) -> Report:
    client = await GuardedClient.create(settings.fetch)
    try:
        return await PageChecker(client, settings.fetch.max_page_bytes).check_page(url)
    finally:
        await client.close()


def render(report: Report, *, verbose: bool = False) -> str:
    """The report as text: what was fetched, a table, then each platform's findings."""
    lines = [f"Checked {report.url}"]
    if report.final_url != report.url:
        lines.append(f"  redirected to {report.final_url}")
    robots = report.robots
    detail = robots.error or (f"HTTP {robots.status}" if robots.status else "")
    lines.append(f"  robots.txt  {robots.state}{f' ({detail})' if detail else ''}")
    for image in report.images:
        lines.append(f"  image       {image.url}: {_image_summary(image)}")
    lines.append("")
    rows = [("PLATFORM", "RESULT", "CARD", "TITLE", "IMAGE")]
    rows += [_row(p) for p in report.platforms]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for platform in report.platforms:
        shown = [f for f in platform.findings if verbose or f.level != "ok"]
        if not shown:
            continue
        lines.append("")
        lines.append(platform.name)
        lines.extend(f"  {_MARK[f.level]:<4}  {f.message}" for f in shown)
    counts = {level: sum(p.status == level for p in report.platforms) for level in _MARK}
    lines.append("")
    lines.append(f"{counts['fail']} failing, {counts['warn']} with warnings, {counts['ok']} ok")
    return "\n".join(lines) + "\n"


def _row(platform: PlatformReport) -> tuple[str, str, str, str, str]:
    shows = platform.shows
    title = shows.title or "-"
    if len(title) > _TITLE_SHOWN:
        title = title[: _TITLE_SHOWN - 1] + "…"
    return (
        platform.name,
        _MARK[platform.status],
        shows.card or "-",
        title,
        "yes" if shows.image else "none",
    )


def _image_summary(image: ImageReport) -> str:
    if image.over_limit:
        return f"over {human_bytes((image.bytes or 1) - 1)}, not read further"
    if image.status is None:
        return image.error or "no answer"
    parts = [f"HTTP {image.status}"]
    if image.content_type:
        parts.append(image.content_type)
    if image.format:
        size = f" {image.width}\u00d7{image.height}" if image.width else ""
        parts.append(FORMAT_NAMES.get(image.format, image.format.upper()) + size)
    if image.bytes is not None:
        parts.append(human_bytes(image.bytes))
    return ", ".join(parts)
