"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser)
against the real `ogedge serve`. Every request a page makes is recorded, and each test fails
if one went anywhere but this server. Screenshots go to bench-out/screens/ for review."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from devkit.ogedge import OgEdgeServer
from devkit.servers import RedisProcess

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "bench-out" / "screens"
CHROMIUM = "/usr/bin/chromium"  # Debian's package (scripts/install.sh test installs it)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
OGEDGE = str(Path(sys.executable).with_name("ogedge"))


# Per module, not per session: while sync Playwright is open it keeps an event loop running in
# this thread, and the rest of the suite calls asyncio.run.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def server(
    redis_server: RedisProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OgEdgeServer]:
    data = tmp_path_factory.mktemp("browser") / "data"
    env = {
        "OGEDGE_DATA_DIR": str(data),
        "OGEDGE_REDIS_URL": redis_server.url,
        "OGEDGE_REDIS_PREFIX": f"b{uuid.uuid4().hex[:12]}",
        # One browser types fast and loads a gallery at once: limits for a person, not a crowd.
        "OGEDGE_PREVIEW_RATE": "100",
        "OGEDGE_PREVIEW_BURST": "200",
    }
    server = OgEdgeServer(env, workers=1)
    server.env["OGEDGE_PUBLIC_URL"] = server.url  # the URLs in the meta tags are fetchable
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api_key(server: OgEdgeServer) -> str:
    out = subprocess.run(
        [OGEDGE, "keys", "create", "--project", "browser", "--quiet"],
        env=server.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return out.stdout.strip()


class Requests:
    """Every request a page made; `foreign()` lists those to any host but the server's."""

    def __init__(self, origin: str) -> None:
        self.origin = urlsplit(origin).netloc
        self.urls: list[str] = []

    def foreign(self) -> list[str]:
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            if parts.scheme != "http" or parts.netloc != self.origin:
                out.append(url)
        return out


def open_page(
    browser: Browser, server: OgEdgeServer, viewport: dict[str, int], **context: Any
) -> tuple[Page, Requests]:
    ctx = browser.new_context(viewport=viewport, base_url=server.url, **context)
    page = ctx.new_page()
    seen = Requests(server.url)
    page.on("request", lambda request: seen.urls.append(request.url))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors include refused loads (a Content-Security-Policy violation). API answers
    # of 4xx are the pages' business (they show them); anything else failing is not.
    page.on("console", lambda msg: errors.append(msg.text) if _unexpected(msg) else None)
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/api/" not in r.url
            else None
        ),
    )
    page.errors = errors  # type: ignore[attr-defined]
    return page, seen


def _unexpected(msg: ConsoleMessage) -> bool:
    return msg.type == "error" and not msg.text.startswith(
        "Failed to load resource: the server responded with a status of 4"
    )


@pytest.fixture
def page(browser: Browser, server: OgEdgeServer) -> Iterator[Page]:
    page, seen = open_page(
        browser, server, DESKTOP, permissions=["clipboard-read", "clipboard-write"]
    )
    yield page
    page.context.close()
    assert seen.urls, "the page made no request at all"
    assert seen.foreign() == [], "requests to another host"
    assert page.errors == [], "script errors"  # type: ignore[attr-defined]


@pytest.fixture
def phone(browser: Browser, server: OgEdgeServer) -> Iterator[Page]:
    page, seen = open_page(
        browser, server, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield page
    page.context.close()
    assert seen.foreign() == [], "requests to another host"
    assert page.errors == [], "script errors"  # type: ignore[attr-defined]


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def load_every_image(page: Page, within: str = "body") -> None:
    """Scroll each image into view (lazy ones load then) and wait until all have decoded."""
    for image in page.locator(f"{within} img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel + ' img')].every(i => i.complete && i.naturalWidth > 0)",
        arg=within,
    )


def render(server: OgEdgeServer, key: str, **fields: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        server.url + "/api/v2/render",
        data=json.dumps(fields).encode(),
        headers={"x-api-key": key, "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return dict(json.loads(answer.read()))
