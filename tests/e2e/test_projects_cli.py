"""`ogedge projects` and `ogedge sign`: what they print, and exit codes for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
OGEDGE = str(Path(sys.executable).with_name("ogedge"))


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OGEDGE_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([OGEDGE, *args], env=env, capture_output=True, text=True, timeout=60)


def test_signing_keys_domains_and_sign(tmp_path: Path) -> None:
    made = run(tmp_path, "projects", "signing-key", "create", "acme", "--label", "site")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.splitlines()[1]
    assert secret.startswith("ogsk_sk_")
    listed = run(tmp_path, "projects", "signing-key", "list", "acme").stdout
    key_id = "_".join(secret.split("_")[1:3])
    assert key_id in listed and "active" in listed and "site" in listed
    assert secret not in listed  # never shown again
    url = run(tmp_path, "sign", "--project", "acme", "--template", "blog", "--title", "Hi there")
    assert url.returncode == 0, url.stderr
    assert url.stdout.startswith("http://127.0.0.1:8000/og/acme/blog?title=Hi%20there&sig=")
    sharp = run(tmp_path, "sign", "--project", "acme", "--template", "blog", "--title", "Hi there",
                "--dpr", "2")  # fmt: skip
    assert sharp.returncode == 0 and "dpr=2&" in sharp.stdout, sharp.stderr
    assert run(tmp_path, "projects", "signing-key", "revoke", "acme", key_id).returncode == 0
    assert "revoked" in run(tmp_path, "projects", "signing-key", "list", "acme").stdout
    none = run(tmp_path, "sign", "--project", "acme", "--template", "blog", "--title", "x")
    assert none.returncode == 2 and "no signing key" in none.stderr
    assert run(tmp_path, "projects", "allow-domain", "acme", "Blog.Example.COM.").returncode == 0
    assert run(tmp_path, "projects", "domains", "acme").stdout.split() == ["blog.example.com"]
    assert run(tmp_path, "projects", "disallow-domain", "acme", "blog.example.com").returncode == 0
    assert run(tmp_path, "projects", "domains", "acme").stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ("projects", "signing-key", "create", "Bad/Name"),
        ("projects", "signing-key", "revoke", "acme", "sk_nosuchkey0"),
        ("projects", "signing-key", "revoke", "acme", "../../x"),
        ("projects", "allow-domain", "acme", "not a host"),
        ("sign", "--project", "acme", "--template", "blog", "--title", "x", "--kind", "poster"),
        ("sign", "--project", "acme", "--template", "blog", "--title", "x", "--dpr", "3"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = run(tmp_path, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.splitlines()[-1].startswith("ogedge: ") and "Traceback" not in done.stderr
