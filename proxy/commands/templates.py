"""`ogedge templates list`: the installed templates, kinds, fields, palettes and fonts."""

from __future__ import annotations

import argparse

import renderer

__all__ = ["register"]


def _list(args: argparse.Namespace) -> int:
    kinds = ", ".join(f"{name} {w}x{h}" for name, (w, h) in renderer.KINDS.items())
    print(f"kinds: {kinds}")
    print(f"palettes: {', '.join(renderer.available_palettes())}")
    print(f"fonts: {', '.join(renderer.available_fonts())}")
    print("templates:")
    for name in renderer.available_templates():
        info = renderer.template_info(name)
        print(f"  {name:<10} {info.description}")
        print(
            f"  {'':<10} fields: {', '.join(info.fields)}; default palette {info.default_palette}, "
            f"font {info.default_font}; version {info.version[:12]}"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("templates", help="inspect the built-in templates")
    actions = parser.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="names, kinds, fields, palettes and fonts")
    listing.set_defaults(func=_list)
