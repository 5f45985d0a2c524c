"""Run one k6 script with `-e` variables and return its summary metrics and threshold verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["OUT", "run_k6"]

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench-out"
K6 = str(Path(sys.executable).with_name("k6"))


def run_k6(script: str, name: str, env: dict[str, str]) -> tuple[dict[str, Any], bool]:
    """(metrics of k6's --summary-export, whether every threshold held)."""
    OUT.mkdir(exist_ok=True)
    summary = OUT / f"{name}.json"
    summary.unlink(missing_ok=True)  # never read a previous run's figures
    cmd = [K6, "run", "--quiet", "--no-color", "--summary-export", str(summary)]
    for key, value in env.items():
        cmd += ["-e", f"{key}={value}"]
    proc = subprocess.run([*cmd, str(ROOT / "k6" / script)], capture_output=True, text=True)
    if not summary.exists():
        raise RuntimeError(f"k6 failed for {name}:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(summary.read_text())["metrics"], proc.returncode == 0
