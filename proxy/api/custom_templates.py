"""Custom templates, uploaded per project and stored beside the images.

    templates/by-id/<id>.json        {project, title, created, toml}: one GET per use
    templates/projects/<project>.json  the project's ids, for listing

Ids are `custom_` + a hash of (project, TOML), so the same upload is the same template and a
changed one is a new template: a card never silently changes under its slug. Parsed templates
are cached per worker (bounded).
"""

from __future__ import annotations

import asyncio
import hashlib
import time

import msgspec
from cachetools import LRUCache

import renderer
from proxy.http.errors import ApiError
from proxy.storage.base import ObjectNotFound, Storage, read_bytes

__all__ = ["CustomTemplate", "CustomTemplates", "is_custom"]

PREFIX = "custom_"
MAX_TOML_BYTES = 32 * 1024


def is_custom(name: str) -> bool:
    return name.startswith(PREFIX)


class CustomTemplate(msgspec.Struct, frozen=True):
    id: str
    project: str
    title: str
    created: float
    toml: str


class _Index(msgspec.Struct):
    ids: list[str] = []


class CustomTemplates:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._parsed: LRUCache[str, renderer.Template] = LRUCache(maxsize=256)
        self._index_lock = asyncio.Lock()

    @staticmethod
    def key(template_id: str) -> str:
        return f"templates/by-id/{template_id}.json"

    @staticmethod
    def index_key(project: str) -> str:
        return f"templates/projects/{project}.json"

    async def upload(self, project: str, toml: str, title: str) -> CustomTemplate:
        data = toml.encode()
        if len(data) > MAX_TOML_BYTES:
            raise ApiError(
                413, "payload_too_large", f"template over {MAX_TOML_BYTES} bytes", "toml"
            )
        template_id = PREFIX + hashlib.sha256(project.encode() + b"\0" + data).hexdigest()[:16]
        try:
            template = renderer.parse_template(template_id, data)
        except renderer.TemplateError as exc:
            # The message names the kind, layer and key that are wrong.
            raise ApiError(400, "invalid_template", str(exc), "toml") from exc
        record = CustomTemplate(template_id, project, title or template.title, time.time(), toml)
        await self.storage.put(
            self.key(template_id), msgspec.json.encode(record), "application/json"
        )
        async with self._index_lock:
            index = await self._index(project)
            if template_id not in index.ids:
                index.ids.append(template_id)
                await self._write_index(project, index)
        self._parsed[template_id] = template
        return record

    async def get(self, project: str | None, template_id: str) -> CustomTemplate:
        """The record; 404 when missing or (with `project`) another project's."""
        try:
            raw = await _read(self.storage, self.key(template_id))
            record = msgspec.json.decode(raw, type=CustomTemplate)
        except (ObjectNotFound, msgspec.DecodeError) as exc:
            raise _not_found(template_id) from exc
        if project is not None and record.project != project:
            raise _not_found(template_id)
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
        out = []
        for template_id in (await self._index(project)).ids:
            try:
                out.append(await self.get(project, template_id))
            except ApiError:
                continue  # deleted between the index read and now
        return out

    async def delete(self, project: str, template_id: str) -> None:
        await self.get(project, template_id)  # 404 for missing or foreign ids
        await self.storage.delete(self.key(template_id))
        self._parsed.pop(template_id, None)
        async with self._index_lock:
            index = await self._index(project)
            if template_id in index.ids:
                index.ids.remove(template_id)
                await self._write_index(project, index)

    async def _index(self, project: str) -> _Index:
        try:
            return msgspec.json.decode(
                await _read(self.storage, self.index_key(project)), type=_Index
            )
        except ObjectNotFound:
            return _Index()

    async def _write_index(self, project: str, index: _Index) -> None:
        await self.storage.put(
            self.index_key(project), msgspec.json.encode(index), "application/json"
        )


def _not_found(template_id: str) -> ApiError:
    return ApiError(404, "template_not_found", f"no custom template {template_id!r}", "template")


async def _read(storage: Storage, key: str) -> bytes:
    # A record holds one template (at most MAX_TOML_BYTES) plus a little JSON around it.
    return await read_bytes(storage, key, 4 * MAX_TOML_BYTES)
