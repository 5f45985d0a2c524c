"""`ogedge serve`: validate settings, start the embedded Redis (no OGEDGE_REDIS_URL), then run
the app under Granian; the embedded Redis stops after the workers."""

from __future__ import annotations

import argparse
import os
import sys

import config
from proxy.observe.logs import granian_log_config
from proxy.observe.multiproc import multiproc_dir
from proxy.state.embedded import EmbeddedRedisError, RedisNotInstalled
from proxy.state.open import local_server

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the HTTP server (Granian)")
    p.add_argument("--host", help="address to bind (default from OGEDGE_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default from OGEDGE_PORT, 8000)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--config", help="TOML settings file (also OGEDGE_CONFIG)")
    p.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Flags become environment so every Granian worker loads the very same settings.
    for flag, var in (
        ("host", "OGEDGE_HOST"),
        ("port", "OGEDGE_PORT"),
        ("workers", "OGEDGE_WORKERS"),
        ("config", "OGEDGE_CONFIG"),
    ):
        value = getattr(args, flag)
        if value is not None:
            os.environ[var] = str(value)
    try:
        settings = config.load()
    except config.ConfigError as exc:
        print(f"ogedge: {exc}", file=sys.stderr)
        return 2

    # Before any worker starts: every worker's metrics go to files there, summed by /metrics.
    multiproc_dir(os.environ)

    # No external Redis: run our own, on <data_dir>/redis/redis.sock, for every worker to
    # share; started before any worker and stopped after they have all drained.
    data_dir = settings.storage.data_dir
    try:
        embedded = local_server(settings)  # RedisNotInstalled before anything else
        if embedded is not None:
            os.makedirs(data_dir, exist_ok=True)
            embedded.start()
    except (RedisNotInstalled, EmbeddedRedisError) as exc:
        print(f"ogedge: {exc}", file=sys.stderr, flush=True)
        return 2
    except OSError as exc:
        print(
            f"ogedge: cannot set up the embedded Redis under {data_dir}: {exc}",
            file=sys.stderr,
            flush=True,
        )
        return 2
    try:
        return _serve(args, settings, f"embedded ({embedded.url})" if embedded else "external")
    finally:
        if embedded is not None:
            embedded.stop()


def _serve(args: argparse.Namespace, settings: config.Settings, redis: str) -> int:
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    server = settings.server
    workers = server.workers or os.cpu_count() or 1
    print(
        f"ogedge: serving on http://{server.host}:{server.port} with {workers} worker(s); "
        f"storage={'s3://' + settings.storage.s3.bucket if settings.storage.s3.bucket else settings.storage.data_dir} "
        f"redis={redis}",
        file=sys.stderr,
        flush=True,
    )
    Granian(
        "proxy.asgi:create",
        factory=True,
        address=server.host,
        port=server.port,
        interface=Interfaces.ASGI,
        workers=1 if args.reload else workers,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        backlog=2048,
        log_access=False,
        log_dictconfig=granian_log_config(),
        respawn_failed_workers=True,
        workers_kill_timeout=30,
        reload=args.reload,
    ).serve()
    return 0
