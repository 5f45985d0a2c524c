"""Shared pieces of the security tests: the socket tripwire, local servers, test resolvers.

The tripwire is autouse: any connection these tests make to a non-loopback address
fails the test, whatever the code under test did with the error it got.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any, TypeVar

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from config.settings import FetchSettings
from proxy.netguard import AddressPolicy, GuardedClient

# Only a guard against hangs: every fetch has its own, much shorter deadline.
HANG_GUARD = 30.0

T = TypeVar("T")


async def guarded(awaitable: Awaitable[T]) -> T:
    async with asyncio.timeout(HANG_GUARD):
        return await awaitable


@dataclass
class Tripwire:
    attempts: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)

    def see(self, address: Any) -> None:
        if not isinstance(address, tuple):
            return  # AF_UNIX paths are not network connections
        host = str(address[0])
        self.attempts.append(host)
        try:
            loopback = ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self.violations.append(host)
            raise ConnectionRefusedError(f"tripwire: connection to {host} blocked")

    def to(self, host: str) -> int:
        return sum(1 for a in self.attempts if a == host)


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tripwire]:
    wire = Tripwire()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    selector_loop: Any = asyncio.selector_events.BaseSelectorEventLoop
    real_sock_connect = selector_loop.sock_connect
    real_create_connection = asyncio.base_events.BaseEventLoop.create_connection

    def connect(self: socket.socket, address: Any) -> None:
        wire.see(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        wire.see(address)
        return real_connect_ex(self, address)

    async def sock_connect(self: Any, sock: socket.socket, address: Any) -> None:
        wire.see(address)
        await real_sock_connect(self, sock, address)

    async def create_connection(self: Any, *args: Any, **kwargs: Any) -> Any:
        host = kwargs.get("host", args[1] if len(args) > 1 else None)
        if host is not None:
            port = kwargs.get("port", args[2] if len(args) > 2 else None)
            wire.see((host, port))
        return await real_create_connection(self, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(selector_loop, "sock_connect", sock_connect)
    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "create_connection", create_connection)
    yield wire
    assert not wire.violations, f"connections to non-loopback addresses: {wire.violations}"


@pytest.fixture(autouse=True)
async def _selector_loop() -> None:
    # The tripwire patches the selector loop; a loop of another kind (uvloop) would
    # make it see nothing and every "no connection" assertion vacuous.
    assert isinstance(asyncio.get_running_loop(), asyncio.selector_events.BaseSelectorEventLoop)


class FakeResolver(AbstractResolver):
    """The base lookup the guard wraps: each name answers its lists in turn, the last repeating."""

    def __init__(self, answers: dict[str, list[list[str]]] | None = None) -> None:
        self.answers = {name: list(seq) for name, seq in (answers or {}).items()}
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        seq = self.answers.get(host)
        if not seq:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: no such test name")
        addresses = seq.pop(0) if len(seq) > 1 else seq[0]
        return [
            {
                "hostname": host,
                "host": a,
                "port": port,
                "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for a in addresses
        ]

    async def close(self) -> None:
        pass


Serve = Callable[..., Awaitable[URL]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start an aiohttp.web app on a loopback address; returns its base URL."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application, host: str = "127.0.0.1") -> URL:
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, host, 0).start()
        port = runner.addresses[0][1]
        return URL.build(scheme="http", host=host, port=port)

    yield start
    for runner in runners:
        await runner.cleanup()


MakeClient = Callable[..., Awaitable[GuardedClient]]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    clients: list[GuardedClient] = []

    async def make(
        *,
        resolver: AbstractResolver | None = None,
        policy: AddressPolicy | None = None,
        **settings: Any,
    ) -> GuardedClient:
        client = await GuardedClient.create(
            FetchSettings(**settings), resolver=resolver, policy=policy
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
