"""`ogedge sign --project P --template T --title … [fields]`: print a signed render URL, ready
for `<meta property="og:image" content="…">`, signed with the project's newest active key.

Exit codes: 0 printed, 2 bad input or no signing key, 1 storage failure.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time

import msgspec

import config
import renderer
from proxy.commands.projects import open_storage
from proxy.custom_templates import CustomTemplates, is_custom
from proxy.errors import ServiceError
from proxy.keys.model import check_project
from proxy.signing import SigningKeys
from proxy.signing.make import sign_fields
from proxy.storage import StorageError

__all__ = ["register"]

# flag -> the JSON field name of POST /api/v2/render
_FIELDS = {
    "title": "title",
    "description": "description",
    "tag": "tag",
    "author": "author",
    "avatar": "avatar",
    "logo": "logo",
    "font": "font",
    "palette": "palette",
    "background_color": "backgroundColor",
    "text_color": "textColor",
    "accent_color": "accentColor",
    "kind": "kind",
    "format": "format",
    "dpr": "dpr",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sign", help="print a signed render URL for a meta tag")
    p.add_argument("--config", help="TOML settings file (also OGEDGE_CONFIG)")
    p.add_argument("--project", required=True)
    p.add_argument("--template", required=True)
    p.add_argument("--title", required=True)
    for flag in _FIELDS:
        if flag != "title":
            p.add_argument("--" + flag.replace("_", "-"), dest=flag, default=None)
    when = p.add_mutually_exclusive_group()
    when.add_argument("--expires", type=int, help="Unix time after which the URL is refused")
    when.add_argument("--ttl", type=int, help="seconds from now after which it is refused")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        check_project(args.project)
        settings = config.load(toml_path=args.config)
        fields = {v: getattr(args, k) for k, v in _FIELDS.items() if getattr(args, k) is not None}
        spec = msgspec.convert(
            {**fields, "template": args.template}, renderer.RenderSpec, strict=False
        )
    except (ServiceError, config.ConfigError, msgspec.ValidationError) as exc:
        return _fail(str(exc), 2)
    expires = args.expires if args.ttl is None else math.ceil(time.time() + args.ttl)

    async def main() -> str:
        storage, secret = await open_storage(settings)
        try:
            keys = SigningKeys(storage, secret)
            template = None
            if is_custom(spec.template):
                template = await CustomTemplates(storage).template(args.project, spec.template)
            return await sign_fields(
                keys,
                settings.server.public_url,
                args.project,
                spec,
                expires=expires,
                template=template,
            )
        finally:
            await storage.close()

    try:
        print(asyncio.run(main()))
    except (ServiceError, renderer.RenderError) as exc:
        return _fail(getattr(exc, "message", str(exc)), 2)
    except (StorageError, OSError) as exc:
        return _fail(f"storage failure: {exc}", 1)
    return 0


def _fail(message: str, code: int) -> int:
    print(f"ogedge: {message}", file=sys.stderr)
    return code
