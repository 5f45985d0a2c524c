"""The libvips check: never at import, always before the first decode, once per process."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import pyvips

from renderer import RenderSpec, RuntimeUnsupported, check_runtime, libvips, render
from renderer.images import decode_fitted

from .conftest import png_bytes

# Patched before anything imports the renderer, as an old system libvips would report.
OLD_LIBVIPS = "import pyvips; pyvips.version = lambda flag: (8, 10, 0)[flag]"


@pytest.fixture
def old_libvips(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process reports libvips 8.10 and has not passed the check yet (both undone after)."""
    monkeypatch.setattr(pyvips, "version", lambda flag: (8, 10, 0)[flag])
    monkeypatch.setattr(libvips, "_checked", False)


def test_importing_the_renderer_does_not_check() -> None:
    code = f"{OLD_LIBVIPS}\nimport renderer\nprint(renderer.available_templates())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "blog" in done.stdout


@pytest.mark.usefixtures("old_libvips")
def test_render_refuses_an_old_libvips() -> None:
    with pytest.raises(RuntimeUnsupported, match=r"libvips 8\.10\.0 found; ogedge needs >= 8\.18"):
        render(RenderSpec(template="blog", title="Hello"))


@pytest.mark.usefixtures("old_libvips")
def test_decoding_refuses_an_old_libvips() -> None:
    data = png_bytes(32, 32, (10, 20, 30))
    with pytest.raises(RuntimeUnsupported):
        decode_fitted("logo", data, 16, 16, crop=False)


def test_check_runs_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(libvips, "_checked", False)
    calls: list[int] = []
    real = libvips.libvips_version

    def counting() -> tuple[int, int, int]:
        calls.append(1)
        return real()

    monkeypatch.setattr(libvips, "libvips_version", counting)
    start = threading.Barrier(8, timeout=60)  # a guard against a hang, not a timing check

    def worker() -> None:
        start.wait()
        check_runtime()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(worker) for _ in range(8)]:
            future.result()
    check_runtime()
    assert len(calls) == 1
    assert libvips._checked
