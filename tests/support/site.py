"""A small web site on 127.0.0.1 for the page-check tests: pages, images and robots.txt a test
sets per path, served from a thread (so in-process clients, the TestClient and subprocesses can
all reach it), with a count of requests per path."""

from __future__ import annotations

import http.server
import threading
import zlib
from collections import Counter
from typing import Any

__all__ = ["Site", "padded_png", "page"]


def page(*tags: str, title: str | None = "A page") -> bytes:
    """An HTML page whose <head> holds `tags` (raw markup) and a <title> unless None."""
    head = "".join(tags)
    if title is not None:
        head = f"<title>{title}</title>{head}"
    return f'<!doctype html><html><head><meta charset="utf-8">{head}</head><body></body></html>'.encode()


def padded_png(png: bytes, extra: int) -> bytes:
    """`png` grown by `extra` bytes in a private ancillary chunk before IEND: still a valid PNG
    of the same size, which decoders skip, for byte-size limits without huge pixel counts."""
    data = b"\0" * extra
    kind = b"ogPd"  # lower-case first letter: ancillary; second: private
    chunk = len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    return png[:-12] + chunk + png[-12:]


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.hits: Counter[str] = Counter()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits[self.path] += 1
                status, ctype, body = site.routes.get(self.path, (404, "text/plain", b"not found"))
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # A short poll: shutdown() waits up to one poll interval for the loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> Site:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes, ctype: str = "text/html", status: int = 200) -> str:
        """Serve `body` at `path`; returns its URL."""
        self.routes[path] = (status, ctype, body)
        return self.url(path)
