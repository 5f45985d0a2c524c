"""`ogedge keys create | list | revoke | rotate`: manage API keys in the configured storage.

Exit codes: 0 done, 2 bad input (arguments, configuration, unknown key id), 1 storage failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import config
from proxy.keys.model import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    ApiKey,
    InvalidInput,
    check_burst,
    check_key_id,
    check_label,
    check_monthly_quota,
    check_project,
    check_rate,
)
from proxy.keys.registry import KeyNotFound, KeyRegistry
from proxy.storage import StorageError, create_storage

__all__ = ["register"]

Action = Callable[[KeyRegistry, argparse.Namespace], Awaitable[int]]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # --config on every action, so it may follow the action name like every other option.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML settings file (also OGEDGE_CONFIG)")
    parser = sub.add_parser("keys", help="create, list, revoke and rotate API keys")
    actions = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common], help="create a key (shown once)")
    create.add_argument("--project", required=True, help="project name: [a-z0-9][a-z0-9_-]*")
    create.add_argument("--rate", type=float, default=DEFAULT_RATE, help="requests/s (10)")
    create.add_argument("--burst", type=int, default=DEFAULT_BURST, help="burst size (20)")
    create.add_argument(
        "--monthly-quota",
        type=int,
        help="renders per month for the whole project, 0 = unlimited; sets the project's quota "
        "(default: keep it, 0 for a new project)",
    )
    create.add_argument(
        "--global", dest="is_global", action="store_true", help="may target any project"
    )
    create.add_argument("--label", default="", help="a note for `keys list`")
    create.add_argument("--quiet", action="store_true", help="print only the key (for scripts)")
    create.set_defaults(func=lambda args: _run(args, _create))

    listing = actions.add_parser("list", parents=[common], help="list keys (never secrets)")
    listing.add_argument("--project", help="only this project's keys")
    listing.set_defaults(func=lambda args: _run(args, _list))

    revoke = actions.add_parser("revoke", parents=[common], help="revoke a key by id")
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.set_defaults(func=lambda args: _run(args, _revoke))

    rotate = actions.add_parser(
        "rotate", parents=[common], help="replace a key: new secret, same settings"
    )
    rotate.add_argument("key_id", metavar="KEY_ID")
    rotate.add_argument("--quiet", action="store_true", help="print only the new key")
    rotate.set_defaults(func=lambda args: _run(args, _rotate))


def _validate(args: argparse.Namespace) -> None:
    """Refuse bad input before any storage is opened (or a data directory created)."""
    if getattr(args, "project", None) is not None:
        check_project(args.project)
    if args.keys_command == "create":
        check_rate(args.rate)
        check_burst(args.burst)
        check_label(args.label)
        if args.monthly_quota is not None:
            check_monthly_quota(args.monthly_quota)
    if args.keys_command in ("revoke", "rotate"):
        check_key_id(args.key_id)


def _run(args: argparse.Namespace, action: Action) -> int:
    try:
        _validate(args)
        settings = config.load(toml_path=args.config)
    except (InvalidInput, config.ConfigError) as exc:
        return _fail(str(exc), 2)

    async def main() -> int:
        storage = await create_storage(settings.storage)
        try:
            return await action(KeyRegistry(storage), args)
        finally:
            await storage.close()

    try:
        return asyncio.run(main())
    except InvalidInput as exc:
        return _fail(str(exc), 2)
    except KeyNotFound as exc:
        return _fail(f"no key with id {exc.args[0]}", 2)
    except (StorageError, OSError) as exc:
        return _fail(f"storage failure: {exc}", 1)


def _fail(message: str, code: int) -> int:
    print(f"ogedge keys: {message}", file=sys.stderr)
    return code


async def _create(registry: KeyRegistry, args: argparse.Namespace) -> int:
    secret, key = await registry.create(
        args.project,
        rate=args.rate,
        burst=args.burst,
        monthly_quota=args.monthly_quota,
        is_global=args.is_global,
        label=args.label,
    )
    project = await registry.get_project(key.project)
    quota = _quota(project.monthly_quota if project is not None else 0)
    scope = "any project (global key)" if key.is_global else f"project {key.project}"
    _show_secret(
        secret,
        args.quiet,
        f"Created {key.id} for {scope}: {key.rate:g} req/s, burst {key.burst}; "
        f"project {key.project} monthly quota {quota}.",
    )
    return 0


async def _list(registry: KeyRegistry, args: argparse.Namespace) -> int:
    keys = await registry.list(args.project)
    quotas: dict[str, str] = {}
    for name in sorted({k.project for k in keys}):
        project = await registry.get_project(name)
        quotas[name] = _quota(project.monthly_quota if project is not None else 0)
    rows: list[tuple[str, ...]] = [
        ("ID", "PROJECT", "GLOBAL", "RATE", "BURST", "QUOTA", "CREATED", "REVOKED", "LABEL")
    ]
    rows += [_row(k, quotas[k.project]) for k in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not keys:
        print("(no keys)", file=sys.stderr)
    return 0


async def _revoke(registry: KeyRegistry, args: argparse.Namespace) -> int:
    key = await registry.revoke(args.key_id)
    assert key.revoked is not None
    # Nodes cache lookups for a few seconds (the authenticator's ttl): say so, it is not instant.
    print(f"Revoked {key.id} (project {key.project}) at {_time(key.revoked)}.")
    print("Servers stop accepting it within a few seconds.")
    return 0


async def _rotate(registry: KeyRegistry, args: argparse.Namespace) -> int:
    secret, key = await registry.rotate(args.key_id)
    _show_secret(
        secret,
        args.quiet,
        f"Rotated {args.key_id} -> {key.id} (project {key.project}); {args.key_id} is revoked.",
    )
    return 0


def _show_secret(secret: str, quiet: bool, summary: str) -> None:
    if quiet:
        print(secret)
        return
    print(summary)
    print()
    print(f"    {secret}")
    print()
    print("Copy it now: it is shown only this once (ogedge stores only its SHA-256).")
    print("Send it as `x-api-key: <key>` or `Authorization: Bearer <key>`.")


def _row(key: ApiKey, quota: str) -> tuple[str, ...]:
    return (
        key.id,
        key.project,
        "yes" if key.is_global else "no",
        f"{key.rate:g}",
        str(key.burst),
        quota,
        _time(key.created),
        _time(key.revoked) if key.revoked is not None else "-",
        key.label,
    )


def _quota(monthly_quota: int) -> str:
    return "unlimited" if monthly_quota == 0 else f"{monthly_quota}/month"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
