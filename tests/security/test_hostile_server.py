"""Hostile requests against the real server (Granian, the embedded default), byte by byte on a
socket where an HTTP client would refuse to send them: oversized chunked and lying bodies with
and without a key, bodies nested deep, NUL and path-like names in paths. None may get a 5xx,
the server must stay healthy, and its log must hold no traceback."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator

import httpx
import pytest

from devkit.ogedge import OgEdgeServer
from tests.e2e.test_render_api import create_key

pytestmark = pytest.mark.e2e

ENDPOINTS = ("/api/v2/render", "/images/generate", "/api/v2/templates")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[OgEdgeServer, str]]:
    d = tempfile.mkdtemp(prefix="og-hostile-")
    env = {"OGEDGE_DATA_DIR": d}
    key = create_key(env, "acme", "--rate", "1000", "--burst", "1000")
    srv = OgEdgeServer(env).start()
    yield srv, key
    srv.stop()
    shutil.rmtree(d, ignore_errors=True)


def raw(port: int, request: bytes, body_chunks: tuple[bytes, ...] | list[bytes] = ()) -> int:
    """Send bytes as they are; return the status the server answered (0: it closed without
    answering, which is fine for a request it refuses mid-body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        try:
            for chunk in body_chunks:
                s.sendall(chunk)
        except OSError:
            pass  # the server refused the rest of the body and closed: allowed
        data = b""
        try:
            while b"\r\n" not in data:
                part = s.recv(4096)
                if not part:
                    break
                data += part
        except OSError:
            pass
    if not data.startswith(b"HTTP/1."):
        return 0
    return int(data.split(b" ", 2)[1])


def head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(total: int, size: int = 16 * 1024) -> list[bytes]:
    chunks = []
    while total > 0:
        n = min(size, total)
        chunks.append(b"%x\r\n" % n + b"a" * n + b"\r\n")
        total -= n
    return [*chunks, b"0\r\n\r\n"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("with_key", [False, True])
def test_oversized_chunked_bodies_are_413_or_refused(
    server: tuple[OgEdgeServer, str], path: str, with_key: bool
) -> None:
    srv, key = server
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    if with_key:
        headers["x-api-key"] = key
    status = raw(srv.port, head(path, headers), chunked(512 * 1024))
    assert status in (0, 413), status


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("with_key", [False, True])
def test_lying_and_oversized_content_lengths(
    server: tuple[OgEdgeServer, str], path: str, with_key: bool
) -> None:
    srv, key = server
    base = {"Content-Type": "application/json"}
    if with_key:
        base["x-api-key"] = key
    # Announced far over the limit, nothing sent.
    assert raw(srv.port, head(path, {**base, "Content-Length": "999999999"})) in (0, 413)
    # Announced small, more sent: the rest is another (garbage) request at worst.
    status = raw(srv.port, head(path, {**base, "Content-Length": "2"}), [b"{}" + b"x" * 5000])
    assert status < 500 or status == 0, status


@pytest.mark.parametrize("path", ENDPOINTS)
def test_deep_json_through_the_server(server: tuple[OgEdgeServer, str], path: str) -> None:
    srv, key = server
    body = b"[" * 20_000 + b"]" * 20_000
    for headers in ({}, {"x-api-key": key}):
        r = httpx.post(
            srv.url + path,
            content=body,
            headers={"content-type": "application/json", **headers},
            timeout=30,
        )
        assert r.status_code in (400, 401, 413), r.text


@pytest.mark.parametrize(
    "target",
    [
        "/i/%00",
        "/i/AAAAAAAAAAA%00",
        "/i/../../system/secret",
        "/i/%2e%2e%2fsystem%2fsecret",
        "/api/v2/templates/custom_..%2F..%2Fx",
        "/api/v2/templates/custom_%00",
        "/api/v2/templates/%00/preview.png",
        "/api/v2/templates?projectId=..%2F..%2Fx",
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_path_like_and_nul_names(
    server: tuple[OgEdgeServer, str], target: str, method: str
) -> None:
    srv, key = server
    for headers in ("", f"x-api-key: {key}\r\n"):
        request = (
            f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n"
        )
        status = raw(srv.port, request.encode())
        assert 400 <= status < 500, (method, target, status)


def test_the_server_stayed_healthy_and_logged_no_traceback(
    server: tuple[OgEdgeServer, str],
) -> None:
    # Runs last in this module (pytest keeps file order): after every hostile request above.
    srv, _ = server
    assert httpx.get(srv.url + "/healthz", timeout=10).status_code == 200
    log = srv.log.read_text(errors="replace")  # the whole log, not its tail
    assert "Traceback" not in log, log
    assert "internal_error" not in log and '"status": 500' not in log
