"""The prometheus-client multiprocess directory, prepared by `ogedge serve` before Granian
starts its workers (they inherit the environment variable)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

__all__ = ["VAR", "multiproc_dir"]

VAR = "PROMETHEUS_MULTIPROC_DIR"


def multiproc_dir(env: MutableMapping[str, str]) -> Path:
    """Use `env[VAR]` if set, else a fresh temporary directory (removed at exit); either way
    emptied now, so samples of a previous run are not summed into this one."""
    given = env.get(VAR)
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="ogedge-metrics-"))
    if not given:  # ours: removed when `ogedge serve` exits (workers exit without atexit)
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.glob("*.db"):  # only prometheus-client's files, even in a given dir
        entry.unlink()
    env[VAR] = str(path)
    return path
