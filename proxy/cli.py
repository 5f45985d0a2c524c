"""`ogedge <command>`: every module in proxy/commands/ contributes its own subcommand."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import proxy.commands

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ogedge", description="social cards, rendered once, served fast"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in sorted(pkgutil.iter_modules(proxy.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"proxy.commands.{module.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
