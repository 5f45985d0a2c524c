"""Print the README's configuration table from config/example.toml's comments and the settings.

.venv/bin/python scripts/config_table.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import config  # noqa: E402


def main() -> None:
    meaning: dict[str, str] = {}
    for line in (ROOT / "config" / "example.toml").read_text().splitlines():
        m = re.search(r"#\s*(OGEDGE_[A-Z0-9_]+)(?::\s*(.*))?$", line)
        if m:
            meaning[m.group(1)] = (m.group(2) or "").strip().replace("|", "/")
    print("| variable | default | meaning |")
    print("|---|---|---|")
    for name, _path, default, _type in config.env_table():
        if isinstance(default, bool):
            shown = str(default).lower()
        elif default in ("", ()):
            shown = "(empty)"
        else:
            shown = str(default)
        print(f"| `{name}` | `{shown}` | {meaning.get(name, '')} |")


if __name__ == "__main__":
    main()
