"""Custom templates, uploaded per project and stored beside the cards (proxy/layout.py): one
record per template (project, title, TOML; one GET per use) and a listing marker per project.

Ids are `custom_` + a hash of (project, TOML), so the same upload is the same template and a
changed one is a new template: a card never silently changes under its slug. Parsed templates
are cached per worker (bounded).
"""

from __future__ import annotations

import hashlib
import re
import time

import msgspec
from cachetools import LRUCache

import renderer
from proxy import layout
from proxy.errors import InvalidInput, NotFound, TooLarge
from proxy.storage.base import Storage
from proxy.storage.documents import CorruptDocument, read_json, write_json
from proxy.storage.index import StoredIndex
from proxy.template_errors import locate

__all__ = [
    "MAX_TOML_BYTES",
    "CustomTemplate",
    "CustomTemplates",
    "InvalidTemplate",
    "TemplateNotFound",
    "is_custom",
    "parse_draft",
]

PREFIX = "custom_"
MAX_TOML_BYTES = 32 * 1024
# Exactly what `upload` mints; anything else (a path, a NUL, another length) names no template.
_ID = re.compile(r"custom_[0-9a-f]{16}")


def is_custom(name: str) -> bool:
    return name.startswith(PREFIX)


class TemplateNotFound(NotFound):
    code = "template_not_found"

    def __init__(self, template_id: str) -> None:
        super().__init__(f"no custom template {template_id!r}", "template")


class InvalidTemplate(InvalidInput):
    """The TOML does not validate; the message names the kind, layer and key at fault."""

    code = "invalid_template"


def parse_draft(template_id: str, toml: str) -> renderer.Template:
    """Validate TOML as template `template_id`; InvalidTemplate names the key and its line."""
    try:
        return renderer.parse_template(template_id, toml.encode())
    except renderer.TemplateError as exc:
        raise InvalidTemplate(str(exc), "toml", detail=locate(str(exc), toml)) from exc


class CustomTemplate(msgspec.Struct, frozen=True):
    id: str
    project: str
    title: str
    created: float
    toml: str


class _LegacyIndex(msgspec.Struct):
    ids: list[str] = []


class CustomTemplates:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._index = StoredIndex(storage, layout.TEMPLATE_INDEX)
        self._parsed: LRUCache[str, renderer.Template] = LRUCache(maxsize=256)

    async def upload(self, project: str, toml: str, title: str) -> CustomTemplate:
        data = toml.encode()
        if len(data) > MAX_TOML_BYTES:
            raise TooLarge(f"template over {MAX_TOML_BYTES} bytes", "toml")
        template_id = PREFIX + hashlib.sha256(project.encode() + b"\0" + data).hexdigest()[:16]
        template = parse_draft(template_id, toml)
        record = CustomTemplate(template_id, project, title or template.title, time.time(), toml)
        await write_json(self.storage, layout.template(template_id), record)
        await self._index.add(project, template_id)
        self._parsed[template_id] = template
        return record

    async def get(self, project: str | None, template_id: str) -> CustomTemplate:
        """The record; TemplateNotFound when missing or (with `project`) another project's."""
        if _ID.fullmatch(template_id) is None:
            raise TemplateNotFound(template_id)
        try:
            record = await read_json(
                self.storage, layout.template(template_id), CustomTemplate, 4 * MAX_TOML_BYTES
            )
        except CorruptDocument as exc:
            raise TemplateNotFound(template_id) from exc
        if record is None or (project is not None and record.project != project):
            raise TemplateNotFound(template_id)
        return record

    async def template(self, project: str | None, template_id: str) -> renderer.Template:
        """The parsed template; with `project`, only that project's (ownership is checked)."""
        cached = self._parsed.get(template_id)
        if cached is not None and project is None:
            return cached
        return self.parsed(await self.get(project, template_id))

    def parsed(self, record: CustomTemplate) -> renderer.Template:
        template = self._parsed.get(record.id)
        if template is None:
            template = self._parsed[record.id] = renderer.parse_template(
                record.id, record.toml.encode()
            )
        return template

    async def list(self, project: str) -> list[CustomTemplate]:
        ids = set(await self._index.entries(project))
        legacy = await read_json(self.storage, layout.legacy_template_index(project), _LegacyIndex)
        if legacy is not None:
            ids.update(legacy.ids)
        out = []
        for template_id in sorted(ids):
            try:
                out.append(await self.get(project, template_id))
            except TemplateNotFound:
                continue  # deleted between the listing and now
        return sorted(out, key=lambda t: t.created)

    async def delete(self, project: str, template_id: str) -> None:
        await self.get(project, template_id)  # TemplateNotFound for missing or foreign ids
        await self.storage.delete(layout.template(template_id))
        self._parsed.pop(template_id, None)
        await self._index.remove(project, template_id)
