"""StoredIndex: concurrent writers in separate "processes" (instances) never lose entries, on
both backends; and the custom templates listed through it keep every concurrent upload."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from config.settings import S3Settings, StorageSettings
from proxy.custom_templates import CustomTemplates
from proxy.storage import Storage, create_storage
from proxy.storage.index import StoredIndex


@pytest.fixture(params=["local", "s3"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: os.PathLike[str]
) -> AsyncIterator[Storage]:
    if request.param == "local":
        settings = StorageSettings(data_dir=os.path.join(tmp_path, "data"))
    else:
        s3 = S3Settings(
            bucket=request.getfixturevalue("bucket"),
            endpoint_url=request.getfixturevalue("moto_server").url,
            access_key_id="testing",
            secret_access_key="testing",
        )
        settings = StorageSettings(data_dir=os.path.join(tmp_path, "unused"), s3=s3)
    store = await create_storage(settings)
    yield store
    await store.close()


async def test_concurrent_adds_from_many_writers_are_all_kept(storage: Storage) -> None:
    writers = [StoredIndex(storage, "index/keys") for _ in range(4)]
    entries = [f"key_{i:012d}" for i in range(40)]
    await asyncio.gather(*(writers[i % 4].add("acme", e) for i, e in enumerate(entries)))
    assert await writers[0].entries("acme") == sorted(entries)
    await asyncio.gather(*(writers[i % 4].remove("acme", e) for i, e in enumerate(entries[:10])))
    assert await writers[1].entries("acme") == sorted(entries[10:])
    assert await writers[2].all_entries() == [("acme", e) for e in sorted(entries[10:])]


@pytest.mark.parametrize("name", ["../x", "a/b", "", "x\x00", ".hidden"])
async def test_names_that_are_not_one_segment_are_refused(storage: Storage, name: str) -> None:
    index = StoredIndex(storage, "index/keys")
    with pytest.raises(ValueError, match="invalid index name"):
        await index.add(name, "entry")
    with pytest.raises(ValueError, match="invalid index name"):
        await index.add("group", name)


async def test_two_workers_uploading_templates_at_once_keep_every_entry(storage: Storage) -> None:
    # Two CustomTemplates stand for two workers: no shared lock, only the marker objects.
    base = (Path(__file__).parents[3] / "templates" / "minimal.toml").read_text()
    one, two = CustomTemplates(storage), CustomTemplates(storage)
    uploads = await asyncio.gather(
        *(
            (one if n % 2 else two).upload("acme", f"{base}\n# variant {n}\n", f"T{n}")
            for n in range(8)
        )
    )
    assert len({u.id for u in uploads}) == 8  # each variant is its own template
    assert {t.id for t in await one.list("acme")} == {u.id for u in uploads}
    await two.delete("acme", uploads[0].id)
    assert {t.id for t in await one.list("acme")} == {u.id for u in uploads[1:]}
