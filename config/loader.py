"""Read settings from an optional TOML file and OGEDGE_* variables, reporting every error at once."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from typing import Any, get_args, get_origin

import msgspec

from config.names import env_name
from config.settings import Settings
from config.validate import semantic_errors

__all__ = ["ConfigError", "env_name", "env_table", "load"]

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kib|kb|mib|mb|gib|gb)?\s*$", re.IGNORECASE)
_UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
}


class ConfigError(Exception):
    """All configuration problems found, one per line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("invalid configuration:\n  " + "\n  ".join(errors))


def env_table() -> list[tuple[str, str, Any, str]]:
    """(variable, dotted path, default, type name) for every setting: the README's table."""
    rows: list[tuple[str, str, Any, str]] = []
    for path, typ, default in _leaves(Settings, Settings(), ""):
        rows.append((env_name(path), path, default, _type_name(typ)))
    return rows


def load(env: Mapping[str, str] | None = None, toml_path: str | None = None) -> Settings:
    env = os.environ if env is None else env
    errors: list[str] = []
    toml_path = toml_path or env.get("OGEDGE_CONFIG") or None
    raw: dict[str, Any] = {}
    if toml_path:
        try:
            with open(toml_path, "rb") as fh:
                raw = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            errors.append(f"{toml_path}: cannot read TOML: {exc}")
    known = {env_name(p) for p, _, _ in _leaves(Settings, Settings(), "")} | {"OGEDGE_CONFIG"}
    for name in sorted(k for k in env if k.startswith("OGEDGE_") and k not in known):
        errors.append(f"{name}: unknown setting (see config/example.toml)")
    data = _build(Settings, raw, env, "", errors, toml_path or "config")
    # Fields that failed to convert were left out, so their defaults stand in and the
    # semantic checks still run on everything else: one start-up reports every problem.
    settings = msgspec.convert(data, Settings)
    errors.extend(semantic_errors(settings))
    if errors:
        raise ConfigError(errors)
    return settings


def _leaves(struct: type, value: Any, prefix: str) -> list[tuple[str, Any, Any]]:
    out: list[tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(struct):
        path = f"{prefix}{f.name}"
        if isinstance(f.type, type) and issubclass(f.type, msgspec.Struct):
            out.extend(_leaves(f.type, getattr(value, f.name), path + "."))
        else:
            out.append((path, f.type, getattr(value, f.name)))
    return out


def _build(
    struct: type, raw: Any, env: Mapping[str, str], prefix: str, errors: list[str], src: str
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        errors.append(f"{src}: [{prefix.rstrip('.')}] must be a table")
        raw = {}
    fields = {f.name: f for f in msgspec.structs.fields(struct)}
    for key in raw:
        if key not in fields:
            errors.append(f"{src}: unknown key {prefix}{key}")
    out: dict[str, Any] = {}
    for name, f in fields.items():
        path = f"{prefix}{name}"
        if isinstance(f.type, type) and issubclass(f.type, msgspec.Struct):
            out[name] = _build(f.type, raw.get(name, {}), env, path + ".", errors, src)
            continue
        var = env_name(path)
        if var in env:
            value: Any = _from_env(env[var], f.type, path)
            where = var
        elif name in raw:
            value, where = raw[name], f"{src}: {path}"
        else:
            continue
        if path.endswith("_bytes") and isinstance(value, str):
            value = _size(value)
        try:
            out[name] = msgspec.convert(value, f.type, strict=False)
        except msgspec.ValidationError:
            errors.append(f"{where}: expected {_type_name(f.type)}, got {value!r}")
    return out


def _from_env(text: str, typ: Any, path: str) -> Any:
    if get_origin(typ) is tuple:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


def _size(text: str) -> Any:
    m = _SIZE.match(text)
    if not m:
        return text  # left for convert() to reject with the expected type
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()])


def _type_name(typ: Any) -> str:
    if get_origin(typ) is tuple:
        return f"comma-separated list of {_type_name(get_args(typ)[0])}"
    names = {str: "string", int: "integer", float: "number", bool: "boolean (true/false)"}
    return names.get(typ, getattr(typ, "__name__", str(typ)))
