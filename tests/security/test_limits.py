"""Size caps, slow servers, content types and statuses, against real local servers."""

from __future__ import annotations

import asyncio
import gzip
import socket

import pytest
from aiohttp import web
from yarl import URL

from proxy.netguard import (
    BadContentType,
    FetchTimeout,
    InvalidURL,
    TooLarge,
    UpstreamError,
)
from tests.security.conftest import MakeClient, Serve, guarded

MiB = 1024 * 1024


class Sent:
    """What a streaming handler managed to write before the client went away."""

    def __init__(self) -> None:
        self.bytes = 0


def streaming_app(sent: Sent, routes: dict[str, str] | None = None) -> web.Application:
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)  # no Content-Length: chunked, never ends
        chunk = b"<p>" + b"x" * 65_533
        while True:
            await response.write(chunk)
            sent.bytes += len(chunk)

    async def declared_huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.content_length = 50 * MiB
        await response.prepare(request)
        await response.write(b"x" * 1024)
        sent.bytes += 1024
        await asyncio.Event().wait()  # a client that waited for the body would time out
        return response

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        while True:
            await response.write(b"x")
            sent.bytes += 1
            await asyncio.sleep(1)

    app = web.Application()
    app.router.add_get("/endless", endless)
    app.router.add_get("/declared-huge", declared_huge)
    app.router.add_get("/slow", slow)
    return app


def typed(body: bytes, headers: dict[str, str], status: int = 200) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, headers=headers, status=status)

    app = web.Application()
    app.router.add_get("/", handler)
    return app


async def test_declared_length_over_cap_refused_before_the_body(
    serve: Serve, make_client: MakeClient
) -> None:
    base = await serve(streaming_app(Sent()))
    client = await make_client(allow_private=True)
    # The server never finishes the body: only a refusal on the header can end this
    # with TooLarge rather than a timeout.
    with pytest.raises(TooLarge, match="Content-Length"):
        await guarded(client.fetch(str(base / "declared-huge"), max_bytes=MiB, accept=()))


async def test_endless_chunked_body_cut_at_the_cap(serve: Serve, make_client: MakeClient) -> None:
    sent = Sent()
    base = await serve(streaming_app(sent))
    client = await make_client(allow_private=True)
    with pytest.raises(TooLarge, match="decoded body"):
        await guarded(client.fetch(str(base / "endless"), max_bytes=MiB, accept=("text/html",)))
    # The client stopped reading soon after the cap (socket buffers hold a few MiB at most).
    assert sent.bytes < 64 * MiB


async def test_gzip_bomb_cut_at_the_cap_on_decoded_bytes(
    serve: Serve, make_client: MakeClient
) -> None:
    bomb = gzip.compress(b"\0" * (256 * MiB), compresslevel=9)
    assert len(bomb) < 300 * 1024  # small on the wire, so only the decoded count can catch it
    base = await serve(typed(bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"}))
    client = await make_client(allow_private=True)
    with pytest.raises(TooLarge, match="decoded body"):
        await guarded(client.fetch(str(base), max_bytes=MiB, accept=("text/html",)))


async def test_gzip_under_the_cap_is_decoded(serve: Serve, make_client: MakeClient) -> None:
    page = b"<html>" + b"hello " * 10_000 + b"</html>"
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
    base = await serve(typed(gzip.compress(page), headers))
    client = await make_client(allow_private=True)
    result = await guarded(client.fetch(str(base), max_bytes=MiB, accept=("text/html",)))
    assert result.body == page
    assert result.content_type == "text/html" and result.charset == "utf-8"


async def test_body_exactly_at_the_cap_is_fine(serve: Serve, make_client: MakeClient) -> None:
    base = await serve(typed(b"x" * 4096, {"Content-Type": "image/png"}))
    client = await make_client(allow_private=True)
    result = await guarded(client.fetch(str(base), max_bytes=4096, accept=("image/",)))
    assert len(result.body) == 4096
    with pytest.raises(TooLarge):
        await guarded(client.fetch(str(base), max_bytes=4095, accept=("image/",)))


async def test_slow_server_hits_the_total_timeout(serve: Serve, make_client: MakeClient) -> None:
    sent = Sent()
    base = await serve(streaming_app(sent))
    client = await make_client(allow_private=True, total_timeout=1.0)
    with pytest.raises(FetchTimeout, match="within 1 s"):
        await guarded(client.fetch(str(base / "slow"), max_bytes=MiB, accept=()))
    # A per-fetch deadline overrides the setting.
    with pytest.raises(FetchTimeout, match=r"within 0\.5 s"):
        await guarded(client.fetch(str(base / "slow"), max_bytes=MiB, accept=(), timeout=0.5))


async def test_server_that_never_answers_hits_the_total_timeout(
    make_client: MakeClient,
) -> None:
    # Accepts connections (the kernel completes the handshake) but never reads or writes.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        port = listener.getsockname()[1]
        client = await make_client(allow_private=True, total_timeout=0.5)
        with pytest.raises(FetchTimeout):
            await guarded(client.fetch(f"http://127.0.0.1:{port}/", max_bytes=MiB, accept=()))
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("content_type", "accept"),
    [
        ("text/html", ("image/",)),
        ("application/octet-stream", ("image/",)),
        ("image/svg+xml", ("image/png", "image/jpeg")),
        ("text/htmlx", ("text/html",)),
        (None, ("text/html",)),
    ],
)
async def test_wrong_content_type_refused(
    content_type: str | None, accept: tuple[str, ...], serve: Serve, make_client: MakeClient
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    base = await serve(typed(b"<svg/>", headers))
    client = await make_client(allow_private=True)
    with pytest.raises(BadContentType):
        await guarded(client.fetch(str(base), max_bytes=MiB, accept=accept))


@pytest.mark.parametrize(
    ("content_type", "accept"),
    [
        ("image/png", ("image/",)),
        ("IMAGE/JPEG", ("image/",)),
        ("text/html; charset=latin-1", ("text/html", "application/xhtml+xml")),
        ("anything/at-all", ()),
    ],
)
async def test_right_content_type_accepted(
    content_type: str, accept: tuple[str, ...], serve: Serve, make_client: MakeClient
) -> None:
    base = await serve(typed(b"ok", {"Content-Type": content_type}))
    client = await make_client(allow_private=True)
    result = await guarded(client.fetch(str(base), max_bytes=MiB, accept=accept))
    assert result.body == b"ok"


async def test_5xx_is_returned_not_raised(serve: Serve, make_client: MakeClient) -> None:
    base = await serve(typed(b"down", {"Content-Type": "text/plain"}, status=503))
    client = await make_client(allow_private=True)
    result = await guarded(client.fetch(str(base), max_bytes=MiB, accept=("image/",)))
    assert result.status == 503 and result.body == b"down"


async def test_user_agent_is_sent(serve: Serve, make_client: MakeClient) -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.headers["User-Agent"], content_type="text/plain")

    app = web.Application()
    app.router.add_get("/", echo)
    base = await serve(app)
    client = await make_client(allow_private=True)
    result = await guarded(client.fetch(str(base), max_bytes=MiB, accept=()))
    assert result.body.startswith(b"ogedge/")


async def test_userinfo_refused_and_not_echoed(serve: Serve, make_client: MakeClient) -> None:
    base = await serve(typed(b"ok", {"Content-Type": "text/plain"}))
    client = await make_client(allow_private=True)
    url = str(base).replace("http://", "http://admin:hunter2@")
    with pytest.raises(InvalidURL) as info:
        await guarded(client.fetch(url, max_bytes=MiB, accept=()))
    assert "hunter2" not in str(info.value) and "hunter2" not in info.value.url


async def test_connection_refused_is_an_upstream_error(make_client: MakeClient) -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    client = await make_client(allow_private=True)
    with pytest.raises(UpstreamError, match="connection failed") as info:
        await guarded(client.fetch(f"http://127.0.0.1:{port}/", max_bytes=MiB, accept=()))
    assert str(URL(info.value.url).port) == str(port)
