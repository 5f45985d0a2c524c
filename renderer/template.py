"""Loading templates/*.toml and templates/palettes.toml into validated, per-kind layouts.

A template is written once for the `og` canvas; the other kinds start from that layout with
boxes scaled to their canvas and are then refined by `[kinds.<kind>…]` override tables.
Everything is validated at load (types, unknown keys, references, boxes inside the canvas)
and errors name the file, kind, layer and key, so a template typo fails at start-up, not on
the thousandth render. The process-wide registry parses a template on first use (a one-card
CLI render reads one file, not all of them); a server parses them all at start-up
(`preload_templates`).
"""

from __future__ import annotations

import copy
import hashlib
import math
import os
import re
import threading
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from .colours import ROLES, Palette, parse_hex
from .errors import TemplateError
from .layout_model import (
    ImageLayer,
    KindLayout,
    TextLayer,
)
from .spec import KINDS
from .template_checks import check_layout, check_shapes

__all__ = [
    "RENDERER_REVISION",
    "Template",
    "TemplateSet",
    "build_template",
    "load_templates",
    "parse_template",
    "preload_templates",
    "registry",
    "templates_dir",
]

#: Bumped when rendering code changes output for the same template files. 2: balanced
#: wrapping, RTL anchoring, integer blending; 3: background rows repeated, not interpolated;
#: 4: PNG deflated by row bands, overlapping blend regions merged.
RENDERER_REVISION = "4"
BASE_KIND = "og"


def templates_dir() -> Path:
    override = os.environ.get("OGEDGE_TEMPLATES_DIR")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    title: str
    description: str
    default_palette: str
    default_font: str
    version: str
    fields: tuple[str, ...]
    layouts: dict[str, KindLayout]


@dataclass(frozen=True, slots=True)
class TemplateSet:
    templates: Mapping[str, Template]
    palettes: dict[str, Palette]


class _OnFirstUse(Mapping[str, Template]):
    """Template files by name, each parsed and validated the first time it is asked for."""

    def __init__(self, paths: dict[str, Path], palettes: dict[str, Palette], salt: bytes):
        self._paths = paths
        self._palettes = palettes
        self._salt = salt
        self._parsed: dict[str, Template] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Template:
        template = self._parsed.get(name)
        if template is None:
            path = self._paths[name]  # KeyError: no such template
            with self._lock:
                template = self._parsed.get(name)
                if template is None:
                    template = _load_template(path, self._palettes, self._salt)
                    self._parsed[name] = template
        return template

    def __contains__(self, name: object) -> bool:
        return name in self._paths

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def _is_box(value: Any) -> bool:
    # Anything else is left as written, for msgspec to refuse with the key's name.
    return (
        isinstance(value, list)
        and len(value) == 4
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in value
        )
    )


def _scale_box(box: list[int], sx: float, sy: float, keep_aspect: bool) -> list[int]:
    x, y, w, h = box
    if keep_aspect:
        s = min(sx, sy)
        return [round(x * sx), round(y * sy), round(w * s), round(h * s)]
    return [round(x * sx), round(y * sy), round(w * sx), round(h * sy)]


def _merge_kind(raw: dict[str, Any], kind: str, where: str) -> dict[str, Any]:
    """The raw tables for one kind: base layout scaled, then the kind's overrides applied."""
    base_w, base_h = KINDS[BASE_KIND]
    width, height = KINDS[kind]
    sx, sy = width / base_w, height / base_h
    layers: list[dict[str, Any]] = copy.deepcopy(raw.get("layers", []))
    stacks: dict[str, Any] = copy.deepcopy(raw.get("stacks", {}))
    for i, layer in enumerate(layers):
        layer.setdefault("id", layer.get("field") or f"{layer.get('type', 'layer')}{i}")
        if not isinstance(layer["id"], str):
            raise TemplateError(f"{where}: layer {i}: key 'id' (or 'field'): must be a string")
        if _is_box(layer.get("box")):
            square = layer.get("type") == "image" or layer.get("shape") == "circle"
            layer["box"] = _scale_box(layer["box"], sx, sy, square)
    for stack in stacks.values():
        if isinstance(stack, dict) and _is_box(stack.get("box")):
            stack["box"] = _scale_box(stack["box"], sx, sy, False)
    background = copy.deepcopy(raw.get("background", {}))
    overrides = raw.get("kinds", {}).get(kind, {})
    unknown = set(overrides) - {"background", "layers", "stacks", "output"}
    if unknown:
        raise TemplateError(f"{where}: kinds.{kind}: unknown key(s) {sorted(unknown)}")
    background.update(overrides.get("background", {}))
    by_id = {layer["id"]: layer for layer in layers}
    for layer_id, patch in overrides.get("layers", {}).items():
        if layer_id not in by_id:
            raise TemplateError(f"{where}: kinds.{kind}.layers: no layer with id {layer_id!r}")
        by_id[layer_id].update(patch)
    for stack_id, patch in overrides.get("stacks", {}).items():
        stacks.setdefault(stack_id, {}).update(patch)
    return {
        "width": width,
        "height": height,
        "background": background,
        "layers": layers,
        "stacks": stacks,
        "output": {**raw.get("output", {}), **overrides.get("output", {})},
    }


def _explain(error: msgspec.ValidationError, merged: dict[str, Any]) -> str:
    text = str(error)
    match = re.search(r"at `\$\.layers\[(\d+)\]\.?(.*)`", text)
    if match:
        layer = merged["layers"][int(match.group(1))]
        key = match.group(2) or "(layer)"
        return f"layer {layer.get('id')!r}: key {key!r}: {text.split(' - at ')[0]}"
    match = re.search(r"at `\$\.(.*)`", text)
    where = match.group(1) if match else "(template)"
    return f"key {where!r}: {text.split(' - at ')[0]}"


def _load_template(path: Path, palettes: dict[str, Palette], salt: bytes) -> Template:
    return build_template(path.stem, path.name, path.read_bytes(), palettes, salt)


def parse_template(name: str, data: bytes) -> Template:
    """A template uploaded at run time (the Templates API), validated like the built-in ones:
    errors name the key. `name` is the id the server gives it (a `name` key is ignored)."""
    return build_template(name, f"{name}.toml", data, registry().palettes, b"custom:", named=False)


def build_template(
    stem: str,
    filename: str,
    data: bytes,
    palettes: dict[str, Palette],
    salt: bytes,
    named: bool = True,
) -> Template:
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{filename}: not valid TOML: {exc}") from None
    # A built-in's file name is its name; an upload's name is the id the server gives it.
    name = raw.get("name", stem) if named else stem
    if name != stem:
        raise TemplateError(f"{filename}: key 'name': must match the file name {stem!r}")
    check_shapes(raw, filename)
    default_palette = raw.get("palette", "midnight")
    if not isinstance(default_palette, str) or default_palette not in palettes:
        raise TemplateError(f"{filename}: key 'palette': unknown palette {default_palette!r}")
    layouts: dict[str, KindLayout] = {}
    for kind in KINDS:
        where = f"{filename}: kind {kind}"
        merged = _merge_kind(raw, kind, where)
        try:
            layout = msgspec.convert(merged, KindLayout)
        except msgspec.ValidationError as exc:
            raise TemplateError(f"{where}: {_explain(exc, merged)}") from None
        check_layout(layout, where)
        layouts[kind] = layout
    fields = sorted(
        {layer.field for layer in layouts[BASE_KIND].layers if isinstance(layer, TextLayer)}
        | {layer.field for layer in layouts[BASE_KIND].layers if isinstance(layer, ImageLayer)}
        | ({layouts[BASE_KIND].background.image_field} - {""}) - {""}
    )
    return Template(
        name=name,
        title=str(raw.get("title", name.title())),
        description=str(raw.get("description", "")),
        default_palette=default_palette,
        default_font=str(raw.get("font", "Inter")),
        version=hashlib.sha256(salt + data).hexdigest(),
        fields=tuple(fields),
        layouts=layouts,
    )


def _load_palettes(path: Path) -> dict[str, Palette]:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path.name}: cannot load palettes: {exc}") from None
    palettes: dict[str, Palette] = {}
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise TemplateError(f"{path.name}: {name!r} must be a table of colours")
        missing = [role for role in ROLES if role not in table]
        extra = [key for key in table if key not in ROLES]
        if missing or extra:
            raise TemplateError(
                f"{path.name}: palette {name!r}: missing {missing}, unknown {extra}"
            )
        colours = []
        for role in ROLES:
            try:
                colours.append((role, parse_hex(str(table[role]))))
            except ValueError as exc:
                raise TemplateError(f"{path.name}: palette {name!r}: key {role!r}: {exc}") from None
        palettes[name] = Palette(name, tuple(colours))
    return palettes


def load_templates(directory: Path | None = None, *, lazily: bool = False) -> TemplateSet:
    """Load and validate every template and palette in `directory` (`lazily`: palettes now,
    each template when first asked for)."""
    directory = directory or templates_dir()
    palette_path = directory / "palettes.toml"
    palettes = _load_palettes(palette_path)
    salt = RENDERER_REVISION.encode() + hashlib.sha256(palette_path.read_bytes()).digest()
    paths = {
        path.stem: path for path in sorted(directory.glob("*.toml")) if path.name != "palettes.toml"
    }
    if not paths:
        raise TemplateError(f"{directory}: no templates found")
    templates = _OnFirstUse(paths, palettes, salt)
    if not lazily:
        for name in templates:
            templates[name]
    return TemplateSet(templates=templates, palettes=palettes)


_lock = threading.Lock()
_loaded: TemplateSet | None = None


def registry() -> TemplateSet:
    """The process-wide template set: palettes loaded once, templates on first use
    (thread-safe)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = load_templates(lazily=True)
    return _loaded


def preload_templates() -> None:
    """Parse and validate every built-in template now: a server's typo fails at start-up."""
    templates = registry().templates
    for name in templates:
        templates[name]
