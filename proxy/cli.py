"""`ogedge <command>`: every module in proxy/commands/ contributes its own subcommand."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import proxy.commands

__all__ = ["main"]


def _commands() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(proxy.commands.__path__))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """All subcommands, or just `only` (named like its module): importing every command pulls
    in aiohttp, boto3 and Litestar, about half a second that `ogedge render` need not wait."""
    parser = argparse.ArgumentParser(
        prog="ogedge", description="social cards, rendered once, served fast"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [only] if only else _commands():
        importlib.import_module(f"proxy.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv and argv[0] in _commands() else None
    args = build_parser(only).parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
