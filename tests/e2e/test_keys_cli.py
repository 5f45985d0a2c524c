"""`ogedge keys …`: the real console script in a subprocess, against a temporary data directory
(and once against moto's S3). Keys it prints are then checked through the registry itself."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import S3Settings, StorageSettings
from devkit.servers import MotoProcess
from proxy.keys import ApiKey, KeyRegistry
from proxy.storage import create_storage

pytestmark = pytest.mark.e2e

OGEDGE = str(Path(sys.executable).with_name("ogedge"))
SECRET = re.compile(r"ogk_live_[0-9A-Za-z]{32}")
KEY_ID = re.compile(r"key_[0-9A-Za-z]{12}")


def clean_env(**extra: str) -> dict[str, str]:
    # Only this test's settings: any OGEDGE_* of the caller's shell would change the outcome.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OGEDGE_")}
    return {**env, **extra}


def ogedge(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OGEDGE, "keys", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return clean_env(OGEDGE_DATA_DIR=str(tmp_path / "data"))


def lookup(settings: StorageSettings, secret: str) -> ApiKey | None:
    async def go() -> ApiKey | None:
        storage = await create_storage(settings)
        try:
            return await KeyRegistry(storage).get_by_secret(secret)
        finally:
            await storage.close()

    return asyncio.run(go())


def test_create_list_revoke_rotate(env: dict[str, str], tmp_path: Path) -> None:
    storage = StorageSettings(data_dir=env["OGEDGE_DATA_DIR"])
    full = ogedge(env, "create", "--project", "acme", "--rate", "2.5", "--burst", "5",
                  "--monthly-quota", "1000", "--label", "ci bot")  # fmt: skip
    assert full.returncode == 0, full.stderr
    (secret,) = SECRET.findall(full.stdout)
    (key_id,) = KEY_ID.findall(full.stdout)
    assert "only this once" in full.stdout and "x-api-key" in full.stdout
    key = lookup(storage, secret)
    assert key is not None and key.id == key_id and (key.rate, key.burst) == (2.5, 5)

    quiet = ogedge(env, "create", "--project", "acme", "--global", "--quiet")
    assert quiet.returncode == 0, quiet.stderr
    assert SECRET.fullmatch(quiet.stdout.strip()) and quiet.stdout.count("\n") == 1
    global_key = lookup(storage, quiet.stdout.strip())
    assert global_key is not None and global_key.is_global

    listed = ogedge(env, "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:8] == [
        "ID", "PROJECT", "GLOBAL", "RATE", "BURST", "QUOTA", "CREATED", "REVOKED"
    ]  # fmt: skip
    assert key_id in lines[1] and "1000/month" in lines[1] and "ci bot" in lines[1]
    assert global_key.id in lines[2] and " yes " in lines[2]
    for secret_or_hash in (secret, key.hash, "ogk_live_"):
        assert secret_or_hash not in listed.stdout
    assert ogedge(env, "list", "--project", "other").stdout.splitlines()[1:] == []

    revoked = ogedge(env, "revoke", key_id)
    assert revoked.returncode == 0, revoked.stderr
    assert lookup(storage, secret) is None
    row = next(line for line in ogedge(env, "list").stdout.splitlines() if key_id in line)
    assert row.split()[7] != "-"  # REVOKED column holds a time

    rotated = ogedge(env, "rotate", global_key.id)
    assert rotated.returncode == 0, rotated.stderr
    (new_secret,) = SECRET.findall(rotated.stdout)
    assert lookup(storage, quiet.stdout.strip()) is None
    new_key = lookup(storage, new_secret)
    assert new_key is not None and new_key.is_global and new_key.id != global_key.id

    # The data directory never holds a secret.
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert secret.encode() not in data and new_secret.encode() not in data


@pytest.mark.parametrize(
    "args",
    [
        ("create",),  # --project missing
        ("create", "--project", "Not Valid"),
        ("create", "--project", "acme", "--rate", "fast"),
        ("create", "--project", "acme", "--rate", "0"),
        ("create", "--project", "acme", "--burst", "-1"),
        ("create", "--project", "acme", "--monthly-quota", "-5"),
        ("list", "--project", "../etc"),
        ("revoke", "nope"),
        ("revoke", "key_000000000000"),  # well-formed, unknown
        ("rotate", "key_000000000000"),
        ("frobnicate",),
    ],
)
def test_bad_input_exits_2(env: dict[str, str], args: tuple[str, ...]) -> None:
    result = ogedge(env, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stderr.strip() and "Traceback" not in result.stderr
    assert not SECRET.search(result.stdout)


def test_rotating_a_revoked_key_exits_2(env: dict[str, str]) -> None:
    created = ogedge(env, "create", "--project", "acme")
    (key_id,) = KEY_ID.findall(created.stdout)
    assert ogedge(env, "revoke", key_id).returncode == 0
    again = ogedge(env, "revoke", key_id)  # idempotent
    assert again.returncode == 0
    result = ogedge(env, "rotate", key_id)
    assert result.returncode == 2 and "revoked" in result.stderr


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("this is = = not toml")
    result = ogedge(clean_env(), "list", "--config", str(tmp_path / "bad.toml"))
    assert result.returncode == 2 and "TOML" in result.stderr


def test_storage_failure_exits_1(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    result = ogedge(clean_env(OGEDGE_DATA_DIR=str(blocker)), "create", "--project", "acme")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "storage" in result.stderr and not SECRET.search(result.stdout)


def test_dead_s3_endpoint_exits_1(tmp_path: Path) -> None:
    from devkit.servers import free_port

    env = clean_env(
        OGEDGE_S3_BUCKET="nowhere",
        OGEDGE_S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
        OGEDGE_S3_MAX_ATTEMPTS="1",
        OGEDGE_S3_CONNECT_TIMEOUT="0.5",
    )
    result = ogedge(env, "list")
    assert result.returncode == 1 and "storage failure" in result.stderr


def test_keys_on_s3(moto_server: MotoProcess, bucket: str) -> None:
    env = clean_env(
        OGEDGE_S3_BUCKET=bucket, OGEDGE_S3_ENDPOINT_URL=moto_server.url, OGEDGE_S3_PREFIX="cli"
    )
    created = ogedge(env, "create", "--project", "acme", "--quiet")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    settings = StorageSettings(
        s3=S3Settings(bucket=bucket, endpoint_url=moto_server.url, prefix="cli")
    )
    key = lookup(settings, secret)
    assert key is not None
    assert key.id in ogedge(env, "list").stdout
    assert ogedge(env, "revoke", key.id).returncode == 0
    assert lookup(settings, secret) is None
