"""A listable set of entries per group, safe under any number of concurrent writers.

Storage has no transactions, so a single JSON index rewritten by read-modify-write loses an
entry whenever two writers overlap. Here every entry is its own empty marker object,
`<root>/<group>/<entry>`: adding or removing one touches nothing else, and listing is a
storage listing. The registry of API keys, the custom templates and the cards of a project all
use it.
"""

from __future__ import annotations

import re

from proxy.storage.base import Storage

__all__ = ["StoredIndex"]

# Groups and entries are single key segments: project names, key ids, template ids, slugs.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def _segment(value: str) -> str:
    if _NAME.fullmatch(value) is None:
        raise ValueError(f"invalid index name {value!r}")
    return value


class StoredIndex:
    def __init__(self, storage: Storage, root: str) -> None:
        self._storage = storage
        self._root = root.rstrip("/") + "/"

    async def add(self, group: str, entry: str) -> None:
        await self._storage.put(self._key(group, entry), b"", "application/octet-stream")

    async def remove(self, group: str, entry: str) -> None:
        await self._storage.delete(self._key(group, entry))

    async def entries(self, group: str, *, start_after: str = "", limit: int = 10_000) -> list[str]:
        """The group's entries in lexicographic order."""
        folder = self._root + _segment(group) + "/"
        after = folder + start_after if start_after else ""
        keys = await self._storage.list(folder, start_after=after, limit=limit)
        return [key[len(folder) :] for key in keys]

    async def all_entries(self, *, limit: int = 100_000) -> list[tuple[str, str]]:
        """(group, entry) for every entry of every group."""
        keys = await self._storage.list(self._root, limit=limit)
        out = []
        for key in keys:
            group, _, entry = key[len(self._root) :].partition("/")
            if entry and "/" not in entry:
                out.append((group, entry))
        return out

    def _key(self, group: str, entry: str) -> str:
        return f"{self._root}{_segment(group)}/{_segment(entry)}"
