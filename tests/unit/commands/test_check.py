"""`ogedge check URL` as a user runs it: a subprocess against a local site, with the node's
settings from OGEDGE_* (OGEDGE_FETCH_ALLOW_PRIVATE lets it reach 127.0.0.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.ogedge import png_bytes
from tests.support.site import Site, page

OGEDGE = str(Path(sys.executable).with_name("ogedge"))
GOOD = page(
    '<meta property="og:title" content="Faster cards">',
    '<meta property="og:description" content="How we render cards.">',
    '<meta property="og:image" content="/og.png">',
    '<meta property="og:url" content="/post">',
    '<meta property="og:type" content="article">',
    '<meta name="twitter:card" content="summary_large_image">',
)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    running = Site().start()
    running.add("/post", GOOD)
    running.add("/og.png", png_bytes(1200, 630), "image/png")
    running.add("/small", page('<meta property="og:image" content="/small.png">'))
    running.add("/small.png", png_bytes(150, 150), "image/png")
    running.add("/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")
    yield running
    running.stop()


def ogedge_check(
    tmp_path: Path, *args: str, private: bool = True
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OGEDGE_")}
    env = {**clean, "OGEDGE_DATA_DIR": str(tmp_path / "data")}
    if private:
        env["OGEDGE_FETCH_ALLOW_PRIVATE"] = "true"
    return subprocess.run(
        [OGEDGE, "check", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_a_good_page_exits_0_with_a_table(tmp_path: Path, site: Site) -> None:
    done = ogedge_check(tmp_path, site.url("/post"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"Checked {site.url('/post')}"
    header = next(line for line in lines if line.startswith("PLATFORM"))
    assert header.split() == ["PLATFORM", "RESULT", "CARD", "TITLE", "IMAGE"]
    row = next(line for line in lines if line.startswith("X "))
    assert row.split()[:3] == ["X", "ok", "summary_large_image"]
    assert lines[-1] == "0 failing, 0 with warnings, 9 ok"


def test_a_failing_page_exits_1_and_says_why(tmp_path: Path, site: Site) -> None:
    done = ogedge_check(tmp_path, site.url("/small"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL  image is 150\u00d7150: Facebook needs at least 200\u00d7200" in done.stdout
    assert "Traceback" not in done.stderr


def test_json_is_the_api_report(tmp_path: Path, site: Site) -> None:
    done = ogedge_check(tmp_path, "--json", site.url("/small"))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert set(report) == {"url", "final_url", "status", "robots", "images", "platforms"}
    assert report["status"] == "fail"
    assert len(report["platforms"]) == 9
    facebook = report["platforms"][0]
    assert set(facebook) == {"id", "name", "status", "shows", "findings"}
    assert set(facebook["shows"]) == {"title", "description", "image", "card"}
    assert {"level": "fail", "code": "image_too_small"} in [
        {k: f[k] for k in ("level", "code")} for f in facebook["findings"]
    ]
    assert report["images"][0]["width"] == 150


@pytest.mark.parametrize(
    ("url", "private", "message"),
    [
        ("ftp://example.com/post", True, "url must be an http(s) URL"),
        ("/nowhere", True, "the page answered HTTP 404"),
        ("/post", False, "refused to connect to a non-public address"),
    ],
)
def test_usage_and_fetch_errors_exit_2(
    tmp_path: Path, site: Site, url: str, private: bool, message: str
) -> None:
    target = site.url(url) if url.startswith("/") else url
    done = ogedge_check(tmp_path, target, private=private)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert done.stdout == ""


def test_bad_configuration_exits_2(tmp_path: Path, site: Site) -> None:
    done = ogedge_check(tmp_path, site.url("/post"), "--config", str(tmp_path / "missing.toml"))
    assert done.returncode == 2
    assert "cannot read TOML" in done.stderr
