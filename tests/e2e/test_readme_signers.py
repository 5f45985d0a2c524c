"""The README's Python and JavaScript signers, run as written: they agree with the server's
canonical form, and the Python one's URLs are accepted by the real server."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devkit.ogedge import OgEdgeServer
from proxy.signing import signed_url

pytestmark = pytest.mark.e2e
README = (Path(__file__).parents[2] / "README.md").read_text()
FIELDS = {"title": "Signed by the README, 100% (and ~*!'()* too)", "tag": "Docs", "author": "Ada"}


def block(after: str, language: str) -> str:
    start = README.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(README, start)
    assert match is not None, f"no {language} block after {after!r}"
    return match.group(1)


def python_signer() -> Any:
    namespace: dict[str, Any] = {}
    exec(block("A signer in Python", "python"), namespace)  # the README's code, as written
    return namespace["og_url"]


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[OgEdgeServer, str]]:
    d = tempfile.mkdtemp(prefix="og-readme-")
    env = {"OGEDGE_DATA_DIR": d, "OGEDGE_PUBLIC_URL": "https://og.example.com"}
    ogedge = str(Path(sys.executable).with_name("ogedge"))
    made = subprocess.run(
        [ogedge, "projects", "signing-key", "create", "acme", "--quiet"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    srv = OgEdgeServer(env).start()
    yield srv, made.stdout.strip()
    srv.stop()
    shutil.rmtree(d, ignore_errors=True)


def test_the_python_signer_agrees_with_the_server_and_its_url_is_accepted(
    server: tuple[OgEdgeServer, str],
) -> None:
    srv, secret = server
    url = python_signer()("https://og.example.com", secret, "acme", "blog", FIELDS)
    assert url == signed_url("https://og.example.com", secret, "/og/acme/blog", FIELDS)
    parts = urlsplit(url)
    r = httpx.get(f"{srv.url}{parts.path}?{parts.query}", timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    tampered = f"{srv.url}{parts.path}?{parts.query.replace('Docs', 'Doc')}"
    assert httpx.get(tampered, timeout=60).status_code == 403


def test_the_javascript_signer_agrees_with_the_python_one(tmp_path: Path) -> None:
    module = tmp_path / "signer.mjs"
    module.write_text(block("And in JavaScript", "js"))
    script = (
        f"import {{ ogUrl }} from {json.dumps(str(module))};\n"
        f"console.log(ogUrl('https://og.example.com', 'ogsk_sk_0123456789_secret', 'acme', "
        f"'blog', {json.dumps(FIELDS)}));\n"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    expected = python_signer()(
        "https://og.example.com", "ogsk_sk_0123456789_secret", "acme", "blog", FIELDS
    )
    assert done.stdout.strip() == expected


def test_the_worked_example_is_what_the_server_computes() -> None:
    secret = "ogsk_sk_0123456789_exampleexampleexampleexampleexample"
    fields = {"title": "Hello, world", "tag": "News", "expires": "1893456000"}
    url = signed_url("https://og.example.com", secret, "/og/acme/blog", fields)
    assert url in README
