"""`ogedge projects signing-key create|list|revoke PROJECT` and
`ogedge projects allow-domain|disallow-domain|domains PROJECT [HOST]`: what lets a project's
cards be made from a URL in a meta tag (signed render URLs, the allow-listed URL mode).

Exit codes: 0 done, 2 bad input or unknown key, 1 storage failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import config
from proxy.domains import AllowedDomains
from proxy.errors import InvalidInput, NotFound
from proxy.keys.model import check_project
from proxy.secret import load_secret
from proxy.signing import SigningKeys
from proxy.storage import Storage, StorageError, create_storage

__all__ = ["open_storage", "register"]

Action = Callable[[Storage, bytes, argparse.Namespace], Awaitable[int]]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="TOML settings file (also OGEDGE_CONFIG)")
    parser = sub.add_parser("projects", help="signing keys and allowed hosts of a project")
    actions = parser.add_subparsers(dest="projects_command", required=True, metavar="ACTION")

    signing = actions.add_parser("signing-key", help="keys that sign render URLs")
    keys = signing.add_subparsers(dest="signing_command", required=True, metavar="ACTION")
    create = keys.add_parser("create", parents=[common], help="a new key (its secret shown once)")
    create.add_argument("project", metavar="PROJECT")
    create.add_argument("--label", default="", help="a note for `list`")
    create.add_argument("--quiet", action="store_true", help="print only the secret")
    create.set_defaults(func=lambda a: _run(a, _create_key))
    listing = keys.add_parser("list", parents=[common], help="the project's keys (no secrets)")
    listing.add_argument("project", metavar="PROJECT")
    listing.set_defaults(func=lambda a: _run(a, _list_keys))
    revoke = keys.add_parser("revoke", parents=[common], help="URLs it signed stop working")
    revoke.add_argument("project", metavar="PROJECT")
    revoke.add_argument("key_id", metavar="KEY_ID")
    revoke.set_defaults(func=lambda a: _run(a, _revoke_key))

    for name, func, text in (
        ("allow-domain", _allow, "let /og/PROJECT?url= render pages of HOST (exactly)"),
        ("disallow-domain", _disallow, "remove HOST from the allow-list"),
    ):
        p = actions.add_parser(name, parents=[common], help=text)
        p.add_argument("project", metavar="PROJECT")
        p.add_argument("host", metavar="HOST")
        p.set_defaults(func=lambda a, f=func: _run(a, f))
    domains = actions.add_parser("domains", parents=[common], help="the allow-listed hosts")
    domains.add_argument("project", metavar="PROJECT")
    domains.set_defaults(func=lambda a: _run(a, _domains))


async def open_storage(settings: config.Settings) -> tuple[Storage, bytes]:
    storage = await create_storage(settings.storage)
    return storage, await load_secret(settings.server.secret, storage)


def _run(args: argparse.Namespace, action: Action) -> int:
    try:
        check_project(args.project)
        settings = config.load(toml_path=args.config)
    except (InvalidInput, config.ConfigError) as exc:
        return _fail(str(exc), 2)

    async def main() -> int:
        storage, secret = await open_storage(settings)
        try:
            return await action(storage, secret, args)
        finally:
            await storage.close()

    try:
        return asyncio.run(main())
    except (InvalidInput, NotFound) as exc:
        return _fail(str(exc), 2)
    except (StorageError, OSError) as exc:
        return _fail(f"storage failure: {exc}", 1)


async def _create_key(storage: Storage, secret: bytes, args: argparse.Namespace) -> int:
    key_secret, key = await SigningKeys(storage, secret).create(args.project, args.label)
    if args.quiet:
        print(key_secret)
        return 0
    print(f"signing key {key.id} for project {key.project} (shown once, keep it secret):")
    print(key_secret)
    print(f"sign URLs with it: ogedge sign --project {key.project} --template blog --title …")
    return 0


async def _list_keys(storage: Storage, secret: bytes, args: argparse.Namespace) -> int:
    for key in await SigningKeys(storage, secret).list(args.project):
        state = "active" if key.active else f"revoked {_when(key.revoked or 0)}"
        print(f"{key.id}  created {_when(key.created)}  {state}  {key.label}".rstrip())
    return 0


async def _revoke_key(storage: Storage, secret: bytes, args: argparse.Namespace) -> int:
    key = await SigningKeys(storage, secret).revoke(args.project, args.key_id)
    print(f"revoked {key.id}: URLs it signed stop working within seconds on every node")
    return 0


async def _allow(storage: Storage, secret: bytes, args: argparse.Namespace) -> int:
    host = await AllowedDomains(storage).allow(args.project, args.host)
    print(f"{args.project}: pages of {host} may be rendered from /og/{args.project}?url=…")
    return 0


async def _disallow(storage: Storage, secret: bytes, args: argparse.Namespace) -> int:
    host = await AllowedDomains(storage).disallow(args.project, args.host)
    print(f"{args.project}: {host} removed from the allow-list")
    return 0


async def _domains(storage: Storage, secret: bytes, args: argparse.Namespace) -> int:
    for host in await AllowedDomains(storage).list(args.project):
        print(host)
    return 0


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _fail(message: str, code: int) -> int:
    print(f"ogedge: {message}", file=sys.stderr)
    return code
