"""The deployment files stay consistent with the installer and the settings (no Docker needed).

Dockerfile, .dockerignore, docker-compose.yml and config/redis.conf are parsed as text: the
image must be built by scripts/install.sh (the installer behind `./dev run`), and every
OGEDGE_* name and value they carry must be one config.load accepts.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

import config

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "python:3.11-slim-bookworm"
# What rendering needs at run time; install.sh must install exactly these.
FONTS = {
    "fontconfig",
    "fonts-dejavu-core",
    "fonts-inter",
    "fonts-noto-core",
    "fonts-noto-color-emoji",
    "fonts-noto-cjk",
}
# What runs next to Python: `ogedge serve` starts its own redis-server when no
# OGEDGE_REDIS_URL is set (the image's default), so the runtime image must have it.
RUNTIME_REDIS = {"redis-server"}
# Files the running service reads from /app (README.md: pyproject's readme, for pip install;
# config/redis.conf: the embedded Redis's settings).
NEEDED_IN_CONTEXT = [
    "config/redis.conf",
    "templates/blog.toml",
    "templates/palettes.toml",
    "proxy/asgi.py",
    "renderer/template.py",
    "config/loader.py",
    "scripts/install.sh",
    "pyproject.toml",
    "README.md",
]
REDIS_CONF_IN_CONTAINER = "/usr/local/etc/redis/redis.conf"


# ---- parsing --------------------------------------------------------------------------------


def _read(name: str) -> str:
    return (ROOT / name).read_text()


def dockerfile_stages() -> list[dict[str, Any]]:
    """Stages, each {"from": [args], "name": str|None, "ins": [(INSTRUCTION, args)]}."""
    lines: list[str] = []
    pending = ""
    for raw in _read("Dockerfile").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments may sit inside a continuation, as Docker allows
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, "Dockerfile ends inside a line continuation"
    stages: list[dict[str, Any]] = []
    for line in lines:
        word, _, args = line.partition(" ")
        word, args = word.upper(), args.strip()
        if word == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append({"from": parts, "name": name, "ins": []})
        else:
            assert stages, f"{word} before FROM"
            stages[-1]["ins"].append((word, args))
    return stages


def _final() -> list[tuple[str, str]]:
    return dockerfile_stages()[-1]["ins"]


def _args(stage: list[tuple[str, str]], word: str) -> list[str]:
    return [a for w, a in stage if w == word]


def _exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    return [str(v) for v in value]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in _args(_final(), "ENV"):
        for item in shlex.split(args):
            key, sep, value = item.partition("=")
            assert sep, f"use ENV KEY=value: {item}"
            env[key] = value
    return env


def _install_list(name: str) -> set[str]:
    m = re.search(rf'^{name}="([^"]*)"', _read("scripts/install.sh"), re.M)
    assert m, f"scripts/install.sh: no {name} line"
    return set(m.group(1).split())


def install_font_pkgs() -> set[str]:
    return _install_list("FONT_PKGS")


def install_redis_pkgs() -> set[str]:
    return _install_list("REDIS_PKGS")


def install_run_lists() -> list[str]:
    """The lists `scripts/install.sh run` installs: its unconditional pkgs= line."""
    m = re.search(r'^pkgs="([^"]*)"', _read("scripts/install.sh"), re.M)
    assert m, "scripts/install.sh: no pkgs= line"
    return re.findall(r"\$([A-Z_]+)", m.group(1))


def compose() -> dict[str, Any]:
    data = yaml.safe_load(_read("docker-compose.yml"))
    assert isinstance(data, dict) and "services" in data
    return data


_INTERP = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ${VAR:-default} with nothing set: defaults, and a stand-in for required ones."""

    def sub(m: re.Match[str]) -> str:
        op, rest = m.group(2), m.group(3)
        if op in {":-", "-"}:
            return rest or ""
        if op in {":?", "?"}:
            return "required-value-from-the-operator"
        return ""

    return _INTERP.sub(sub, value.replace("$$", "\0")).replace("\0", "$")


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: interpolate("" if v is None else str(v)) for k, v in env.items()}


def redis_conf() -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in _read("config/redis.conf").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out[key.lower()] = value.strip()
    return out


def dockerignore_excludes(path: str) -> bool:
    excluded = False
    for raw in _read(".dockerignore").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        pats = [pattern, pattern.removeprefix("**/")]
        if any(fnmatch.fnmatch(p, pat) for p in prefixes for pat in pats):
            excluded = not negate
    return excluded


def known_names() -> set[str]:
    return {row[0] for row in config.env_table()} | {"OGEDGE_CONFIG"}


# ---- Dockerfile -----------------------------------------------------------------------------


def test_every_stage_is_the_slim_python_base() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "expected a multi-stage build"
    names = {s["name"] for s in stages if s["name"]}
    for s in stages:
        assert s["from"][0] == BASE_IMAGE or s["from"][0] in names, s["from"]


def test_the_image_is_built_by_the_readme_installer() -> None:
    # The README's set-up is `./dev run`, which is `scripts/install.sh run`...
    assert "./dev run" in _read("README.md")
    assert re.search(r"^\s*scripts/install\.sh run\s*$", _read("dev"), re.M)
    # ...and the image runs the very same command, in the stage that ships.
    runs = _args(_final(), "RUN")
    assert any(re.search(r"(^|&&\s*)scripts/install\.sh run(\s|$)", r) for r in runs), runs


def test_runtime_environment() -> None:
    env = dockerfile_env()
    assert env.get("VIPS_BLOCK_UNTRUSTED") == "1"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("OGEDGE_HOST") == "0.0.0.0"
    assert env.get("OGEDGE_DATA_DIR") == "/data"
    assert "/app/.venv/bin" in env.get("PATH", "").split(":")[0]
    assert env["OGEDGE_DATA_DIR"] in " ".join(_args(_final(), "VOLUME")).replace('"', " ").split()
    port = env.get("OGEDGE_PORT", "8000")
    assert port in _args(_final(), "EXPOSE")[0].split()


def test_runs_as_a_non_root_user() -> None:
    users = _args(_final(), "USER")
    assert users, "no USER in the final stage"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # The user is created in the image, and owns the data volume.
    runs = " ".join(_args(_final(), "RUN"))
    assert re.search(rf"useradd\b[^&]*\b{re.escape(users[-1])}\b", runs)
    assert f"chown {users[-1]}" in runs


def test_healthcheck_hits_healthz_without_curl() -> None:
    (check,) = _args(_final(), "HEALTHCHECK")
    assert "/healthz" in check
    assert "CMD" in check.split()
    assert "curl" not in check and "wget" not in check  # neither is in the slim image
    assert "urllib" in check


def test_entry_point_is_ogedge_serve() -> None:
    stage = _final()
    entry = _exec_form(_args(stage, "ENTRYPOINT")[-1]) if _args(stage, "ENTRYPOINT") else []
    cmd = _exec_form(_args(stage, "CMD")[-1]) if _args(stage, "CMD") else []
    assert [*entry, *cmd] == ["ogedge", "serve"]


def test_templates_and_the_project_reach_the_image() -> None:
    stages = dockerfile_stages()
    final, builders = stages[-1], {s["name"]: s for s in stages[:-1] if s["name"]}

    def brings_app(stage: dict[str, Any]) -> bool:
        for word, args in stage["ins"]:
            parts = args.split()
            if word != "COPY":
                continue
            src = [p for p in parts if not p.startswith("--")]
            frm = [p.split("=", 1)[1] for p in parts if p.startswith("--from=")]
            if frm and frm[0] in builders and src[:2] == ["/app", "/app"]:
                return brings_app(builders[frm[0]])
            if not frm and src[0] in {".", "./"}:
                return True
        return False

    assert brings_app(final), "the final stage must get /app (the build context) from COPY"
    assert (ROOT / "templates" / "blog.toml").is_file()
    for path in NEEDED_IN_CONTEXT:
        assert not dockerignore_excludes(path), f".dockerignore excludes {path}"


def test_dockerignore_keeps_local_state_out() -> None:
    for path in (".venv/bin/python", ".git/HEAD", "data/images/x", "bench-out/run.json"):
        assert dockerignore_excludes(path), f".dockerignore lets {path} in"
    assert dockerignore_excludes("proxy/__pycache__/asgi.cpython-311.pyc")


def test_runtime_packages_are_the_installer_ones_and_the_image_has_them() -> None:
    fonts, redis = install_font_pkgs(), install_redis_pkgs()
    assert fonts == FONTS
    assert redis == RUNTIME_REDIS
    # `scripts/install.sh run` (./dev run, the image) installs both lists, not only `test`.
    assert {"PY_PKGS", "FONT_PKGS", "REDIS_PKGS"} <= set(install_run_lists())
    runs = " ".join(_args(_final(), "RUN"))
    m = re.search(r"dpkg-query -W ([a-z0-9 .+-]+?)\s*>", runs)
    assert m, "the final stage should check the runtime packages (dpkg-query -W …)"
    assert set(m.group(1).split()) == fonts | redis


# ---- settings names and values --------------------------------------------------------------


def test_every_ogedge_name_is_a_setting() -> None:
    known = known_names()
    for name in ("Dockerfile", "docker-compose.yml"):
        used = set(re.findall(r"\bOGEDGE_[A-Z0-9_]+", _read(name)))
        assert used, name
        assert used <= known, f"{name}: unknown settings {sorted(used - known)}"


def test_dockerfile_env_loads() -> None:
    env = {k: v for k, v in dockerfile_env().items() if k.startswith("OGEDGE_")}
    s = config.load(env)
    assert s.server.host == "0.0.0.0" and s.storage.data_dir == "/data"


def test_compose_ogedge_settings_load_and_point_at_the_other_services() -> None:
    services = compose()["services"]
    ogedge = services["ogedge"]
    assert ogedge.get("build") in {".", "./"} or ogedge["build"].get("context") in {".", "./"}
    env = service_env(ogedge)
    assert {k for k in env if k.startswith("OGEDGE_")} <= known_names()
    s = config.load({k: v for k, v in env.items() if k.startswith("OGEDGE_")})
    assert urlsplit(s.redis.url).hostname == "redis" in services
    assert s.storage.s3.bucket, "compose should run on the bucket, not local disk"
    assert urlsplit(s.storage.s3.endpoint_url).hostname == "minio" in services
    # The credentials are MinIO's own, and the one-shot service creates that very bucket.
    minio = service_env(services["minio"])
    assert s.storage.s3.access_key_id == minio["MINIO_ROOT_USER"]
    assert s.storage.s3.secret_access_key == minio["MINIO_ROOT_PASSWORD"]
    init = services["minio-init"]
    assert "minio/mc" in init["image"]
    script = interpolate(json.dumps(init.get("command")) + json.dumps(init.get("entrypoint")))
    assert f"mb --ignore-existing local/{s.storage.s3.bucket}" in script
    for name in ("OGEDGE_SECRET", "OGEDGE_PUBLIC_URL", "OGEDGE_TRUSTED_PROXIES"):
        assert name in env, name


def test_compose_waits_for_healthy_dependencies() -> None:
    services = compose()["services"]
    deps = services["ogedge"]["depends_on"]
    for name in ("redis", "minio"):
        assert deps[name]["condition"] == "service_healthy"
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert deps["minio-init"]["condition"] == "service_completed_successfully"


# ---- Redis ----------------------------------------------------------------------------------


def test_compose_redis_uses_the_repo_config() -> None:
    redis = compose()["services"]["redis"]
    assert redis["image"].split(":")[0] == "redis"
    cmd = redis["command"]
    cmd = cmd if isinstance(cmd, list) else cmd.split()
    assert cmd == ["redis-server", REDIS_CONF_IN_CONTAINER]
    mounts = [str(v).split(":") for v in redis.get("volumes", [])]
    assert any(
        m[0] in {"./config/redis.conf", "config/redis.conf"} and m[1] == REDIS_CONF_IN_CONTAINER
        for m in mounts
    ), mounts
    assert any(m[0] in compose().get("volumes", {}) and m[1] == "/data" for m in mounts)


def test_redis_conf_is_durable_and_never_evicts() -> None:
    conf = redis_conf()
    assert conf.get("appendonly") == "yes"
    assert conf.get("appendfsync") in {"everysec", "always"}
    assert conf.get("maxmemory-policy") == "noeviction"
    assert conf.get("dir") == "/data"  # the compose volume
