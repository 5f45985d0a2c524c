"""A fault-injecting HTTP/1.1 proxy for S3 endpoints (moto's server) on 127.0.0.1.

One request per client connection (`Connection: close` both ways), so every request the
S3 client makes is seen, counted and answered according to the current `mode`:

  pass       relay to the upstream untouched
  http500    answer an S3 `InternalError` 500 itself (the upstream is never asked)
  slow_body  relay the response headers and `slow_after` body bytes at once, then the rest
             `slow_chunk` bytes at a time, `slow_delay` seconds before each chunk
  reset      relay the headers and `reset_after` body bytes, then send a TCP RST
  refuse     close each new connection at once, before reading anything

Use it from async tests (`await proxy.start()`, `await proxy.aclose()`) or from sync tests
(`proxy.start_in_thread()`, `proxy.stop()`: its loop then runs in a daemon thread). `mode`
and the other knobs are plain attributes that may be switched from any thread.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass

__all__ = ["MODES", "FaultProxy", "Seen"]

MODES = ("pass", "http500", "slow_body", "reset", "refuse")

_S3_500 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
    b"<Message>injected by FaultProxy</Message></Error>"
)
_HEAD_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Seen:
    """One request the proxy received (or, in `refuse` mode, one connection it dropped)."""

    method: str
    path: str
    mode: str
    at: float


class FaultProxy:
    def __init__(self, upstream_port: int, mode: str = "pass") -> None:
        self.upstream_port = upstream_port
        self.mode = mode
        self.slow_chunk = 4096
        self.slow_delay = 0.05
        self.slow_after = 0  # body bytes relayed at full speed before the dribbling starts
        self.reset_after = 1024
        self.port = 0
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, value: str) -> None:
        if value not in MODES:
            raise ValueError(f"unknown mode {value!r}; one of {MODES}")
        self._mode = value

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- counting -------------------------------------------------------------------------

    def clear(self) -> None:
        with self._lock:
            self.seen.clear()

    def requests(self, mode: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if mode is None or s.mode == mode]

    def per_call(self, mode: str | None = None) -> Counter[tuple[str, str]]:
        """Requests per (method, path): the attempts a client made at each object."""
        return Counter((s.method, s.path) for s in self.requests(mode))

    def _record(self, method: str, path: str, mode: str) -> None:
        with self._lock:
            self.seen.append(Seen(method, path, mode, time.monotonic()))

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._loop = asyncio.get_running_loop()
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def start_in_thread(self, timeout: float = 10.0) -> FaultProxy:
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.aclose())
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError("fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._thread is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    # -- one connection, one request ---------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # closing: end quietly (the server's callback reports a cancelled task)
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        if mode == "refuse":
            self._record("-", "-", mode)
            _rst(writer)
            return
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > _HEAD_LIMIT:
            return
        request_line, headers = _parse(head)
        method, path, _ = request_line.split(" ", 2)
        length = int(headers.get("content-length", "0"))
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # the body comes after this
            head = _without(head, b"expect:")
        body = await reader.readexactly(length) if length else b""
        self._record(method, path, mode)
        if mode == "http500":
            writer.write(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n"
                % len(_S3_500)
                + (b"" if method == "HEAD" else _S3_500)
            )
            await writer.drain()
            return
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            up_w.write(_with_close(head) + body)
            await up_w.drain()
            response_head = await up_r.readuntil(b"\r\n\r\n")
            writer.write(_with_close(response_head))
            await writer.drain()
            sent = 0
            while True:
                slow = mode == "slow_body" and sent >= self.slow_after
                size = self.slow_chunk if slow else 65536
                if mode == "slow_body" and not slow:
                    size = min(size, self.slow_after - sent)
                if mode == "reset":
                    size = min(size, self.reset_after - sent)
                    if size <= 0:
                        _rst(writer)
                        return
                data = await up_r.read(size)
                if not data:
                    return
                if slow:
                    await asyncio.sleep(self.slow_delay)
                writer.write(data)
                await writer.drain()
                sent += len(data)
        finally:
            up_w.close()


def _parse(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def _without(head: bytes, name: bytes) -> bytes:
    lines = head[:-4].split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(name)) + b"\r\n\r\n"


def _with_close(head: bytes) -> bytes:
    """The same head with `Connection: close`: one request per connection, on both sides."""
    return _without(head, b"connection:")[:-2] + b"Connection: close\r\n\r\n"


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (linger 0), not a FIN: the peer sees `connection reset`."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
