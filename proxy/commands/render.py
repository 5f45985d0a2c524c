"""`ogedge render`: render one card to a file through `renderer.render`, print diagnostics."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import renderer

__all__ = ["register"]


def _read(path: str | None) -> bytes | None:
    return Path(path).read_bytes() if path else None


def _run(args: argparse.Namespace) -> int:
    spec = renderer.RenderSpec(
        template=args.template,
        kind=args.kind,
        title=args.title,
        description=args.description,
        tag=args.tag,
        author=args.author,
        avatar=args.avatar or "",
        logo=args.logo or "",
        font=args.font,
        palette=args.palette,
        background_color=args.background_color,
        text_color=args.text_color,
        accent_color=args.accent_color,
        format=args.format,
        dpr=args.dpr,
    )
    assets = renderer.Assets(
        avatar=_read(args.avatar),
        logo=_read(args.logo),
        page_image=_read(args.page_image),
    )
    try:
        card = renderer.render(spec, assets)
    except renderer.RenderError as exc:
        print(f"ogedge render: {exc}", file=sys.stderr)
        return 2
    output = Path(args.output or f"card.{args.format}")
    output.write_bytes(card.data)
    print(
        f"{output}: {card.media_type} {card.width}x{card.height}, {len(card.data)} bytes, "
        f"{card.elapsed_ms:.1f} ms (template {card.template} {card.template_version[:12]}, "
        f"palette {card.palette}, font {card.font})"
    )
    for layer in card.layers:
        if layer.type == "text":
            note = " truncated" if layer.truncated else ""
            print(f"  {layer.id:<12} {layer.font_size}px, {layer.lines} line(s){note}")
        else:
            print(f"  {layer.id:<12} {layer.type} at {layer.ink}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("render", help="render one card to a file")
    parser.add_argument("--template", default="blog")
    parser.add_argument("--title", required=True)
    parser.add_argument("--description", default="")
    parser.add_argument("--tag", default="")
    parser.add_argument("--author", default="")
    parser.add_argument("--avatar", metavar="FILE", help="avatar image file")
    parser.add_argument("--logo", metavar="FILE", help="logo image file")
    parser.add_argument("--page-image", metavar="FILE", help="page image (hero template)")
    parser.add_argument("--kind", default="og", choices=sorted(renderer.KINDS))
    parser.add_argument("--palette", default="")
    parser.add_argument("--font", default="")
    parser.add_argument("--background-color", default="")
    parser.add_argument("--text-color", default="")
    parser.add_argument("--accent-color", default="")
    parser.add_argument("--format", default="png", choices=["png", "jpeg", "webp", "avif"])
    parser.add_argument(
        "--dpr", type=int, default=1, choices=renderer.DPRS, help="2: twice the size"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="default: card.<format>")
    parser.set_defaults(func=_run)
