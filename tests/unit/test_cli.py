"""`ogedge <command>` imports only that command; `ogedge --help` still lists every one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proxy.cli import main

# Run in a fresh interpreter: this test process has imported everything already.
_RENDER = """
import sys
from proxy.cli import main
code = main(["render", "--template=blog", "--kind=og", "--title=Cold", "-o", sys.argv[1]])
heavy = sorted(m for m in ("aiohttp", "litestar", "boto3", "aioboto3", "redis") if m in sys.modules)
print(",".join(heavy))
sys.exit(code)
"""


def test_render_starts_without_the_server_stack(tmp_path: Path) -> None:
    out = tmp_path / "card.png"
    done = subprocess.run(
        [sys.executable, "-c", _RENDER, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == ""  # none of the server's libraries was imported
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    listed = capsys.readouterr().out
    for name in [
        "bench",
        "check",
        "doctor",
        "keys",
        "projects",
        "render",
        "serve",
        "sign",
        "templates",
    ]:
        assert name in listed


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["nonsense"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
