"""Where in a template's TOML the validator's complaint points: a line and a key path, so an
editor can show the error next to the key (the Templates API and the preview endpoint).

`renderer.TemplateError` messages name the file, kind, layer and key ("kind og: layer 'title':
key 'size': Expected `int`, got `str`"); TOML syntax errors name a line. This maps both onto
the text the user wrote, with a line scanner (tomllib keeps no positions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["locate"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\"'.-]+)\s*=\s*(.*)$")
_SYNTAX = re.compile(r"\(at line (\d+), column \d+\)")
_LAYER = re.compile(r"layer '([^']*)': key '([^']*)'")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
_KIND = re.compile(r"kind (\w+): ")
_NO_LAYER = re.compile(r"kinds\.(\w+)\.layers: no layer with id '([^']*)'")
_TABLE_KEY = re.compile(r"(?:^|: )(background|output|stacks\.\w+): key '([^']*)'")
_KEY_ONLY = re.compile(r"key '([^']*)'")


@dataclass
class _Block:
    header: str  # "" for the top level, "layers" for each [[layers]], "kinds.square.layers.x"
    line: int  # 1-based line of the header (1 for the top level)
    keys: dict[str, int] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _blocks(toml: str) -> list[_Block]:
    blocks = [_Block("", 1)]
    for number, text in enumerate(toml.splitlines(), start=1):
        header = _HEADER.match(text)
        if header:
            blocks.append(_Block(header.group(2).replace(" ", ""), number))
            continue
        key = _KEY.match(text)
        if key:
            name = key.group(1).strip("\"'")
            blocks[-1].keys.setdefault(name.split(".")[0], number)
            blocks[-1].values[name] = key.group(2).split("#")[0].strip().strip("\"'")
    return blocks


def _layer_blocks(blocks: list[_Block]) -> dict[str, _Block]:
    """[[layers]] blocks by the id the renderer gives them (id, else field, else type + index)."""
    out: dict[str, _Block] = {}
    for index, block in enumerate(b for b in blocks if b.header == "layers"):
        v = block.values
        out.setdefault(v.get("id") or v.get("field") or f"{v.get('type', 'layer')}{index}", block)
    return out


def _in(block: _Block | None, key: str) -> int | None:
    if block is None:
        return None
    return block.keys.get(key.split(".")[0], block.line)


def locate(message: str, toml: str) -> dict[str, str | int]:
    """{"line": n, "path": "…"} for a TemplateError message about `toml` (either may be
    missing when the message names no place)."""
    syntax = _SYNTAX.search(message)
    if syntax:
        return {"line": int(syntax.group(1))}
    blocks = _blocks(toml)
    by_header = {b.header: b for b in blocks if b.header != "layers"}
    kind_match = _KIND.search(message)
    kind = kind_match.group(1) if kind_match else "og"

    no_layer = _NO_LAYER.search(message)
    if no_layer:
        path = f"kinds.{no_layer.group(1)}.layers.{no_layer.group(2)}"
        block = by_header.get(path)
        return {"path": path, **({"line": block.line} if block else {})}

    layer = _LAYER.search(message)
    if layer:
        layer_id, key = layer.group(1), layer.group(2)
        unknown = _UNKNOWN.search(message)
        if key == "(layer)" and unknown:
            key = unknown.group(1)
        override = by_header.get(f"kinds.{kind}.layers.{layer_id}")
        if override is not None and key.split(".")[0] in override.keys:
            line = _in(override, key)
            path = f"kinds.{kind}.layers.{layer_id}.{key}"
        else:
            line = _in(_layer_blocks(blocks).get(layer_id), key)
            path = f"layers[{layer_id}]" + ("" if key == "(layer)" else f".{key}")
        return {"path": path, **({"line": line} if line else {})}

    table = _TABLE_KEY.search(message)
    if table:
        name, key = table.group(1), table.group(2)
        override = by_header.get(f"kinds.{kind}.{name}")
        block = override if override and key in override.keys else by_header.get(name)
        line = _in(block, key)
        return {"path": f"{name}.{key}", **({"line": line} if line else {})}

    only = _KEY_ONLY.search(message)
    if only:
        path = only.group(1)
        table_name, _, key = path.rpartition(".")
        block = by_header.get(table_name)
        line = _in(block, key) if block else None
        return {"path": path, **({"line": line} if line else {})}
    return {}
