"""SSRF: literal addresses, names, DNS rebinding and redirects, against real local servers.

Server A listens on 127.0.0.1 and is the only address the policy lets through (an
exact allowlist: loopback stays refused in general). Server B listens on 127.0.0.2
and stands for an internal service: it must never see a request.
"""

from __future__ import annotations

import asyncio
import socket
from ipaddress import IPv4Address

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from proxy.netguard import AddressPolicy, ForbiddenAddress, InvalidURL, TooManyRedirects
from proxy.netguard.connector import create_connector, guarded_socket_factory
from proxy.netguard.errors import AddressRefused
from proxy.netguard.resolver import GuardedResolver
from tests.security.conftest import FakeResolver, MakeClient, Serve, Tripwire, guarded

ONLY_A = AddressPolicy(allow=frozenset({IPv4Address("127.0.0.1")}))

LITERALS = [
    "127.0.0.1",
    "127.1",
    "0x7f000001",
    "2130706433",
    "0177.0.0.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[0:0:0:0:0:ffff:a9fe:a9fe]",
    "169.254.169.254",
    "[fe80::1]",
    "100.64.0.1",
    "10.0.0.1",
    "192.168.1.1",
    "172.16.0.1",
    "[fc00::1]",
    "[2002:7f00:1::]",
    "[64:ff9b::7f00:1]",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "[::]",
]


class Hits:
    def __init__(self) -> None:
        self.count = 0

    def app(self) -> web.Application:
        async def handler(request: web.Request) -> web.Response:
            self.count += 1
            return web.Response(text="internal secret", content_type="text/html")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        return app


@pytest.fixture
async def internal(serve: Serve) -> tuple[URL, Hits]:
    """Server B, on 127.0.0.2: stands for anything internal."""
    hits = Hits()
    return await serve(hits.app(), host="127.0.0.2"), hits


@pytest.mark.parametrize("literal", LITERALS)
async def test_literal_addresses_refused_without_connecting(
    literal: str, make_client: MakeClient, tripwire: Tripwire
) -> None:
    resolver = FakeResolver()
    client = await make_client(resolver=resolver)
    with pytest.raises(ForbiddenAddress):
        await guarded(client.fetch(f"http://{literal}:8080/x", max_bytes=1000, accept=()))
    assert tripwire.attempts == []
    assert resolver.calls == []


@pytest.mark.parametrize(
    "literal",
    ["169.254.169.254", "[::ffff:a9fe:a9fe]", "[fe80::1]", "100.64.0.1", "0.0.0.0", "[::]"],
)
async def test_allow_private_still_refuses_metadata_and_friends(
    literal: str, make_client: MakeClient, tripwire: Tripwire
) -> None:
    client = await make_client(allow_private=True)
    with pytest.raises(ForbiddenAddress):
        await guarded(client.fetch(f"http://{literal}/", max_bytes=1000, accept=()))
    assert tripwire.attempts == []


async def test_allow_private_reaches_loopback(
    serve: Serve, make_client: MakeClient, tripwire: Tripwire
) -> None:
    base = await serve(Hits().app())
    client = await make_client(allow_private=True)
    result = await guarded(client.fetch(str(base / "x"), max_bytes=1000, accept=("text/html",)))
    assert result.status == 200 and result.body == b"internal secret"
    # The tripwire sees the client's connections: "no attempt" assertions are not vacuous.
    assert tripwire.to("127.0.0.1") >= 1


async def test_loopback_refused_by_default(serve: Serve, make_client: MakeClient) -> None:
    base = await serve(Hits().app())
    client = await make_client()
    with pytest.raises(ForbiddenAddress, match="loopback"):
        await guarded(client.fetch(str(base), max_bytes=1000, accept=()))


async def test_names_resolving_to_private_addresses_refused(
    internal: tuple[URL, Hits], make_client: MakeClient, tripwire: Tripwire
) -> None:
    url, hits = internal
    resolver = FakeResolver(
        {
            "evil.test": [["127.0.0.2"]],
            "meta.test": [["169.254.169.254", "::ffff:169.254.169.254"]],
            "lan.test": [["10.0.0.5", "fd00::5"]],
        }
    )
    client = await make_client(resolver=resolver)
    for name in ("evil.test", "meta.test", "lan.test"):
        with pytest.raises(ForbiddenAddress, match="resolves only to refused addresses"):
            await guarded(client.fetch(str(url.with_host(name)), max_bytes=1000, accept=()))
    assert resolver.calls == ["evil.test", "meta.test", "lan.test"]
    assert tripwire.attempts == [] and hits.count == 0


async def test_localhost_through_the_real_resolver(
    make_client: MakeClient, tripwire: Tripwire
) -> None:
    client = await make_client()  # production path: getaddrinfo in a thread
    with pytest.raises(ForbiddenAddress):
        await guarded(client.fetch("http://localhost:9/", max_bytes=1000, accept=()))
    assert tripwire.attempts == []


async def test_mixed_answer_connects_only_to_the_allowed_address(
    serve: Serve, internal: tuple[URL, Hits], make_client: MakeClient, tripwire: Tripwire
) -> None:
    a = await serve(Hits().app())
    _, hits = internal
    resolver = FakeResolver({"site.test": [["127.0.0.2", "127.0.0.1"]]})
    client = await make_client(resolver=resolver, policy=ONLY_A)
    result = await guarded(client.fetch(str(a.with_host("site.test")), max_bytes=1000, accept=()))
    assert result.status == 200
    assert tripwire.to("127.0.0.2") == 0 and hits.count == 0


async def test_dns_rebinding_cannot_reach_the_second_answer(
    serve: Serve, internal: tuple[URL, Hits], make_client: MakeClient, tripwire: Tripwire
) -> None:
    _, hits = internal

    async def close_each(request: web.Request) -> web.Response:
        response = web.Response(text="ok", content_type="text/html")
        response.force_close()  # each fetch needs a new connection, hence a new lookup
        return response

    app = web.Application()
    app.router.add_get("/", close_each)
    a = await serve(app)
    # Public ("allowed") first, then the attacker's DNS flips to the internal address.
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["127.0.0.2"]]})
    client = await make_client(resolver=resolver, policy=ONLY_A)
    url = str(a.with_host("rebind.test"))
    assert (await guarded(client.fetch(url, max_bytes=100, accept=()))).status == 200
    with pytest.raises(ForbiddenAddress):
        await guarded(client.fetch(url, max_bytes=100, accept=()))
    assert resolver.calls == ["rebind.test", "rebind.test"]
    assert tripwire.to("127.0.0.2") == 0 and hits.count == 0


# --- the layers below the URL check, each on its own -------------------------------


async def test_guarded_resolver_filters_and_refuses() -> None:
    base = FakeResolver({"mixed.test": [["10.0.0.1", "127.0.0.1"]], "bad.test": [["10.0.0.1"]]})
    resolver = GuardedResolver(base, ONLY_A)
    assert [r["host"] for r in await resolver.resolve("mixed.test", 80)] == ["127.0.0.1"]
    with pytest.raises(AddressRefused, match="RFC 1918"):
        await resolver.resolve("bad.test", 80)


def test_socket_factory_refuses_before_creating_a_socket() -> None:
    factory = guarded_socket_factory(ONLY_A)
    with pytest.raises(AddressRefused):
        factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", 80)))
    with pytest.raises(AddressRefused):
        factory((socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:7f00:2", 80, 0, 0)))
    factory((socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))).close()


async def test_connector_checks_ip_literals_at_connect_time(
    internal: tuple[URL, Hits], tripwire: Tripwire
) -> None:
    # Straight through aiohttp, no URL pre-check: aiohttp skips the resolver for an
    # IP literal, so the socket factory alone must refuse it.
    url, hits = internal
    async with aiohttp.ClientSession(connector=create_connector(ONLY_A, FakeResolver())) as s:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await guarded(s.get(url))
    assert isinstance(info.value.os_error, AddressRefused)
    assert tripwire.attempts == [] and hits.count == 0


async def test_socket_factory_catches_what_an_unguarded_resolver_lets_through(
    internal: tuple[URL, Hits], tripwire: Tripwire
) -> None:
    url, hits = internal
    connector = aiohttp.TCPConnector(
        resolver=FakeResolver({"evil.test": [["127.0.0.2"]]}),
        use_dns_cache=False,
        socket_factory=guarded_socket_factory(ONLY_A),
    )
    async with aiohttp.ClientSession(connector=connector) as s:
        with pytest.raises(aiohttp.ClientConnectorError):
            await guarded(s.get(url.with_host("evil.test")))
    assert tripwire.attempts == [] and hits.count == 0


# --- redirects ---------------------------------------------------------------------


def redirector(routes: dict[str, str]) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        target = routes.get(request.path)
        if target is None:
            return web.Response(text=f"{request.method} {request.path}", content_type="text/html")
        raise web.HTTPFound(target)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}/",
        "http://evil.test:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.2]:{port}/",
        "http://2130706434:{port}/",
    ],
)
async def test_redirect_to_internal_refused(
    target: str,
    serve: Serve,
    internal: tuple[URL, Hits],
    make_client: MakeClient,
    tripwire: Tripwire,
) -> None:
    url, hits = internal
    a = await serve(redirector({"/go": target.format(port=url.port)}))
    resolver = FakeResolver({"evil.test": [["127.0.0.2"]]})
    client = await make_client(resolver=resolver, policy=ONLY_A)
    with pytest.raises(ForbiddenAddress):
        await guarded(client.fetch(str(a / "go"), max_bytes=1000, accept=()))
    assert tripwire.to("127.0.0.2") == 0 and hits.count == 0


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1:70/_x",
        "http://u:p@127.0.0.1/",
    ],
)
async def test_redirect_to_other_schemes_or_userinfo_refused(
    target: str, serve: Serve, make_client: MakeClient
) -> None:
    a = await serve(redirector({"/go": target}))
    client = await make_client(policy=ONLY_A)
    with pytest.raises(InvalidURL):
        await guarded(client.fetch(str(a / "go"), max_bytes=1000, accept=()))


async def test_at_most_three_redirects(serve: Serve, make_client: MakeClient) -> None:
    a = await serve(redirector({"/1": "/2", "/2": "/3", "/3": "/4", "/4": "/5"}))
    client = await make_client(policy=ONLY_A)
    result = await guarded(client.fetch(str(a / "2"), max_bytes=1000, accept=()))
    assert result.body == b"GET /5" and result.final_url == str(a / "5")
    with pytest.raises(TooManyRedirects):
        await guarded(client.fetch(str(a / "1"), max_bytes=1000, accept=()))


async def test_webhook_post_does_not_follow(serve: Serve, make_client: MakeClient) -> None:
    a = await serve(redirector({"/hook": "/elsewhere"}))
    client = await make_client(policy=ONLY_A)
    result = await guarded(
        client.fetch(
            str(a / "hook"),
            method="POST",
            data=b'{"x":1}',
            headers={"Content-Type": "application/json"},
            max_bytes=1000,
            accept=(),
            follow_redirects=False,
        )
    )
    assert result.status == 302 and result.headers["Location"] == "/elsewhere"


async def test_post_becomes_get_after_302_and_credentials_stay_behind(
    serve: Serve, make_client: MakeClient
) -> None:
    seen: dict[str, str] = {}

    async def echo(request: web.Request) -> web.Response:
        seen["method"] = request.method
        seen["auth"] = request.headers.get("Authorization", "")
        return web.Response(text="done", content_type="text/plain")

    other_app = web.Application()
    other_app.router.add_route("*", "/", echo)
    other = await serve(other_app)  # same address, other port: another origin
    a = await serve(redirector({"/go": str(other)}))
    client = await make_client(policy=ONLY_A)
    result = await guarded(
        client.fetch(
            str(a / "go"),
            method="POST",
            data=b"x",
            headers={"Authorization": "Bearer s3cret"},
            max_bytes=1000,
            accept=(),
        )
    )
    assert result.status == 200
    assert seen == {"method": "GET", "auth": ""}


async def test_the_tripwire_trips(tripwire: Tripwire) -> None:
    loop = asyncio.get_running_loop()
    with socket.socket() as sock:
        sock.setblocking(False)
        with pytest.raises(ConnectionRefusedError, match="tripwire"):
            await loop.sock_connect(sock, ("192.0.2.1", 9))
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError, match="tripwire"):
        sock.connect_ex(("192.0.2.1", 9))
    assert tripwire.violations == ["192.0.2.1", "192.0.2.1"]
    tripwire.violations.clear()  # seen; the fixture would otherwise fail this test
