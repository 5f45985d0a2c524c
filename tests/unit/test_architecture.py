"""The layering rules that keep the code what the README says it is, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROXY = ROOT / "proxy"


def modules(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if ".venv" not in p.parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_http_mapping_never_imports_the_api_handlers() -> None:
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imported(p) if n.startswith("proxy.api"))
        for p in modules(PROXY / "http")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_services_never_import_the_api_handlers() -> None:
    # proxy/api is the outer layer: handlers and schemas; nothing below may depend on it.
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imported(p) if n.startswith("proxy.api"))
        for p in modules(PROXY)
        if "api" not in p.relative_to(PROXY).parts and p.name != "app.py"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_redis_choice_is_made_in_one_place() -> None:
    # Which Redis (embedded or external, node or cluster) is decided by proxy/state/open.py
    # alone: no other module reads the Redis URL or cluster switch of the settings.
    readers = []
    for path in modules(PROXY):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"url", "cluster"}
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "redis"
            ):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert all(r.startswith("proxy/state/open.py:") for r in readers), readers


def test_only_the_state_layer_talks_to_redis_py() -> None:
    allowed = {"proxy/state/shared.py", "proxy/state/connect.py", "proxy/state/embedded.py"}
    # The limiter's sync pipeline inspects per-call NOSCRIPT replies (redis-py's error type).
    allowed.add("proxy/limits/redis_gcra.py")
    users = {
        str(p.relative_to(ROOT))
        for p in modules(PROXY)
        if any(n == "redis" or n.startswith("redis.") for n in imported(p))
    }
    assert users <= allowed, users - allowed


def test_the_renderer_is_pure() -> None:
    forbidden = ("proxy", "asyncio", "aiohttp", "litestar", "redis", "aioboto3", "granian")
    offenders = {
        str(p.relative_to(ROOT)): sorted(n for n in imported(p) if n.split(".")[0] in forbidden)
        for p in modules(ROOT / "renderer")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_scripts_do_not_import_the_test_package() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules(ROOT / "scripts")
        if any(n == "tests" or n.startswith("tests.") for n in imported(p))
    ]
    assert offenders == []
