"""Registry fixtures over real backends (local disk and moto's S3), with a storage wrapper that
records every write and counts reads, so tests can inspect exactly what reached storage."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta

import pytest

from config.settings import S3Settings, StorageSettings
from proxy.keys import KeyRegistry
from proxy.storage import ObjectInfo, Storage, create_storage


class RecordingStorage:
    """Delegates to a real backend; records puts and counts opens per key."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.name = inner.name
        self.puts: list[tuple[str, bytes]] = []
        self.opens: list[str] = []

    async def head(self, key: str) -> ObjectInfo:
        return await self.inner.head(key)

    def open(
        self, key: str
    ) -> AbstractAsyncContextManager[tuple[ObjectInfo, AsyncIterator[bytes]]]:
        self.opens.append(key)
        return self.inner.open(key)

    async def put(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        self.puts.append((key, data))
        await self.inner.put(key, data, content_type, metadata)

    async def put_if_absent(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> bool:
        created = await self.inner.put_if_absent(key, data, content_type, metadata)
        if created:
            self.puts.append((key, data))
        return created

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[str]:
        return await self.inner.list(prefix, start_after=start_after, limit=limit)

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


class Clock:
    """A settable wall clock for registry timestamps."""

    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # every record gets a distinct, ordered time
        return self.now


@pytest.fixture(params=["local", "s3"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: os.PathLike[str]
) -> AsyncIterator[RecordingStorage]:
    if request.param == "local":
        settings = StorageSettings(data_dir=os.path.join(tmp_path, "data"))
    else:
        s3 = S3Settings(
            bucket=request.getfixturevalue("bucket"),
            endpoint_url=request.getfixturevalue("moto_server").url,
            prefix="keys-tests",
            access_key_id="testing",
            secret_access_key="testing",
        )
        settings = StorageSettings(data_dir=os.path.join(tmp_path, "unused"), s3=s3)
    inner = await create_storage(settings)
    try:
        yield RecordingStorage(inner)
    finally:
        await inner.close()


@pytest.fixture
async def local_storage(tmp_path: os.PathLike[str]) -> AsyncIterator[RecordingStorage]:
    inner = await create_storage(StorageSettings(data_dir=os.path.join(tmp_path, "data")))
    try:
        yield RecordingStorage(inner)
    finally:
        await inner.close()


@pytest.fixture
def registry(storage: RecordingStorage) -> KeyRegistry:
    return KeyRegistry(storage, now=Clock())
