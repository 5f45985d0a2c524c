"""`ogedge doctor`: check what a node needs before it serves, one line per check with what to
fix: libvips and its loader blocks, fonts, templates, settings, storage, Redis. Exit 1 on FAIL."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass

import config

__all__ = ["Check", "register", "run_checks"]

# Loaders that libvips may flag untrusted (never fuzzed for hostile input), by build.
_LOADERS = (
    "magickload_buffer", "pdfload_buffer", "svgload_buffer", "svgload_source", "rawload",
    "csvload_source", "vipsload_source", "matrixload_source", "fitsload_source",
    "openslideload_source", "analyzeload", "matload", "ppmload_source",
)  # fmt: skip
_UNTRUSTED, _BLOCKED = 16, 32  # VipsOperationFlags


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # OK | WARN | FAIL
    detail: str


def _libvips() -> list[Check]:
    import pyvips

    import renderer

    version = ".".join(str(pyvips.version(i)) for i in range(3))
    try:
        renderer.check_runtime()
    except renderer.RuntimeUnsupported as exc:
        return [Check("libvips", "FAIL", f"{exc}; install libvips >= 8.18 (see README set-up)")]
    checks = [Check("libvips", "OK", f"version {version}")]
    unblocked = []
    blocked = 0
    for name in _LOADERS:
        if pyvips.type_find("VipsOperation", name) == 0:
            continue  # not in this build
        op = pyvips.Operation.new_from_name(name)
        flags = pyvips.vips_lib.vips_operation_get_flags(op.pointer)
        if flags & _UNTRUSTED and not flags & _BLOCKED:
            unblocked.append(name)
        elif flags & _BLOCKED:
            blocked += 1
    if unblocked:
        checks.append(
            Check(
                "loaders",
                "FAIL",
                f"untrusted loaders not blocked: {', '.join(unblocked)}; "
                "set VIPS_BLOCK_UNTRUSTED=1 or use a libvips built without them",
            )
        )
    else:
        checks.append(
            Check("loaders", "OK", f"untrusted loaders blocked ({blocked} in this build)")
        )
    return checks


def _fonts() -> list[Check]:
    import renderer

    fonts = renderer.available_fonts()
    if all(font.startswith("DejaVu") for font in fonts):
        return [
            Check(
                "fonts",
                "WARN",
                "only DejaVu found; install the README's font set (Inter, Noto) for the "
                "documented typography",
            )
        ]
    return [Check("fonts", "OK", f"{len(fonts)} families: {', '.join(fonts)}")]


def _templates() -> list[Check]:
    import renderer

    try:
        names = renderer.available_templates()
    except renderer.RenderError as exc:
        return [Check("templates", "FAIL", f"{exc}; reinstall the package (renderer/templates)")]
    return [Check("templates", "OK", f"{len(names)} loaded: {', '.join(names)}")]


async def _services() -> list[Check]:
    try:
        settings = config.load()
    except config.ConfigError as exc:
        fix = "; ".join(exc.errors)
        return [Check("settings", "FAIL", f"{fix} (fix the OGEDGE_* variables or --config file)")]
    checks = [Check("settings", "OK", "valid")]
    checks.append(await _storage(settings))
    checks.append(await _redis(settings))
    return checks


async def _storage(settings: config.Settings) -> Check:
    from proxy.storage import create_storage

    where = (
        f"s3://{settings.storage.s3.bucket}"
        if settings.storage.s3.bucket
        else str(settings.storage.data_dir)
    )
    try:
        storage = await create_storage(settings.storage)
        try:
            await asyncio.wait_for(storage.ping(), timeout=10)
        finally:
            await storage.close()
    except Exception as exc:
        return Check(
            "storage",
            "FAIL",
            f"{where} unreachable: {exc!r}; check the endpoint, bucket and credentials "
            "(OGEDGE_S3_*) or that the data directory is writable",
        )
    return Check("storage", "OK", f"{where} reachable")


async def _redis(settings: config.Settings) -> Check:
    from proxy.state.embedded import EmbeddedRedisError, RedisNotInstalled, installed_version
    from proxy.state.open import local_server, open_state

    mode = "embedded (no OGEDGE_REDIS_URL)"
    try:
        # Finds redis-server, checks the socket path's length, then that it is new enough.
        embedded = local_server(settings)
        if embedded is not None:
            version = installed_version(embedded.executable)
    except (RedisNotInstalled, EmbeddedRedisError) as exc:
        return Check("redis", "FAIL", f"{mode}: {exc}")
    if embedded is not None:
        return Check(
            "redis",
            "OK",
            f"{mode}: redis-server {version} ({embedded.executable}); `ogedge serve` runs it "
            f"on {embedded.url}",
        )
    state = await open_state(settings)
    kind = state.topology
    try:
        await state.ping(3.0)
    except Exception as exc:
        return Check(
            "redis",
            "FAIL",
            f"unreachable: {exc!r}; external Redis ({kind}): check OGEDGE_REDIS_URL and that "
            "it runs",
        )
    finally:
        await state.close()
    return Check("redis", "OK", f"external (OGEDGE_REDIS_URL, {kind}), reachable")


def run_checks() -> list[Check]:
    checks: list[Check] = []
    steps: list[Callable[[], list[Check]]] = [_libvips, _fonts, _templates]
    for step in steps:
        try:
            checks.extend(step())
        except Exception as exc:  # a check that crashes is a failure to report, not a traceback
            checks.append(Check(step.__name__.strip("_"), "FAIL", repr(exc)))
    checks.extend(asyncio.run(_services()))
    return checks


def run(args: argparse.Namespace) -> int:
    if args.config:
        os.environ["OGEDGE_CONFIG"] = args.config
    checks = run_checks()
    for check in checks:
        print(f"{check.status:<4} {check.name:<9} {check.detail}", flush=True)
    return 1 if any(check.status == "FAIL" for check in checks) else 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("doctor", help="check libvips, fonts, templates, settings, storage, Redis")
    p.add_argument("--config", help="TOML settings file (also OGEDGE_CONFIG)")
    p.set_defaults(func=run)
