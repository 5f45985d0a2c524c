"""`ogedge doctor` on a node whose libvips is too old: a FAIL line with the fix, no traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# Patched before the CLI imports anything, as an old system libvips would report.
_DOCTOR = """
import sys
import pyvips
pyvips.version = lambda flag: (8, 10, 0)[flag]
from proxy.cli import main
sys.exit(main(["doctor"]))
"""


def test_doctor_reports_an_old_libvips(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OGEDGE_")}
    done = subprocess.run(
        [sys.executable, "-c", _DOCTOR],
        env={**clean, "OGEDGE_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert re.search(
        r"^FAIL libvips +libvips 8\.10\.0 found; .*install libvips >= 8\.18", done.stdout, re.M
    ), done.stdout
