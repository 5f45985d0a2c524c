"""One contract for every Storage backend: local disk, and S3 (moto's server) with and without a prefix.

Backends are built through `create_storage`, the same path the app takes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from config.settings import S3Settings, StorageSettings
from proxy.storage import (
    CHUNK_SIZE,
    InvalidKey,
    InvalidMetadata,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    create_storage,
)


@pytest.fixture(params=["local", "s3", "s3-prefixed"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: os.PathLike[str]
) -> AsyncIterator[Storage]:
    if request.param == "local":
        settings = StorageSettings(data_dir=os.path.join(tmp_path, "data"))
    else:
        moto = request.getfixturevalue("moto_server")
        s3 = S3Settings(
            bucket=request.getfixturevalue("bucket"),
            endpoint_url=moto.url,
            prefix="tenants/acme/" if request.param == "s3-prefixed" else "",
            access_key_id="testing",
            secret_access_key="testing",
        )
        settings = StorageSettings(data_dir=os.path.join(tmp_path, "unused"), s3=s3)
    store = await create_storage(settings)
    assert store.name == ("local" if request.param == "local" else "s3")
    try:
        yield store
    finally:
        await store.close()


async def read_all(storage: Storage, key: str) -> tuple[ObjectInfo, bytes, list[int]]:
    """The object's info, its bytes, and the size of every chunk it arrived in."""
    async with storage.open(key) as (info, chunks):
        parts = [chunk async for chunk in chunks]
    return info, b"".join(parts), [len(p) for p in parts]


async def test_put_head_open_round_trip(storage: Storage) -> None:
    data = os.urandom(3000)
    metadata = {"etag": '"abc123"', "slug": "AbCdEfGh1234", "created": "1700000000"}
    before = time.time()
    await storage.put("images/AbCdEfGh1234/card.png", data, "image/png", metadata)
    after = time.time()

    info = await storage.head("images/AbCdEfGh1234/card.png")
    assert info.size == len(data)
    assert info.content_type == "image/png"
    assert dict(info.metadata) == metadata
    # S3 keeps whole seconds; allow that rounding and nothing more.
    assert before - 2 <= info.modified <= after + 2

    opened, body, _ = await read_all(storage, "images/AbCdEfGh1234/card.png")
    assert body == data
    assert opened.size == len(data)
    assert opened.content_type == "image/png"
    assert dict(opened.metadata) == metadata
    assert abs(opened.modified - info.modified) < 1


async def test_put_without_metadata_and_empty_object(storage: Storage) -> None:
    await storage.put("specs/empty.json", b"", "application/json")
    info = await storage.head("specs/empty.json")
    assert (info.size, info.content_type, dict(info.metadata)) == (0, "application/json", {})
    opened, body, chunks = await read_all(storage, "specs/empty.json")
    assert (opened.size, body, chunks) == (0, b"", [])


async def test_large_object_streams_in_bounded_chunks(storage: Storage) -> None:
    data = os.urandom(5 * 1024 * 1024 + 123)
    await storage.put("images/big/card.png", data, "image/png")
    info, body, chunks = await read_all(storage, "images/big/card.png")
    assert info.size == len(data)
    assert body == data
    assert len(chunks) >= len(data) // CHUNK_SIZE
    assert max(chunks) <= CHUNK_SIZE
    assert min(chunks) > 0


async def test_abandoned_stream_leaves_storage_usable(storage: Storage) -> None:
    data = os.urandom(2 * 1024 * 1024)
    await storage.put("images/big/card.png", data, "image/png")
    for _ in range(3):
        async with storage.open("images/big/card.png") as (_info, chunks):
            async for _chunk in chunks:
                break  # a client that went away after the first chunk
    with pytest.raises(RuntimeError, match="handler failed"):
        async with storage.open("images/big/card.png"):
            raise RuntimeError("handler failed")
    _, body, _ = await read_all(storage, "images/big/card.png")
    assert body == data


async def test_overwrite_replaces_bytes_type_and_metadata(storage: Storage) -> None:
    await storage.put("k/card", b"old" * 100, "image/png", {"version": "1", "extra": "x"})
    await storage.put("k/card", b"new", "image/jpeg", {"version": "2"})
    info, body, _ = await read_all(storage, "k/card")
    assert body == b"new"
    assert (info.size, info.content_type, dict(info.metadata)) == (
        3,
        "image/jpeg",
        {"version": "2"},
    )
    head = await storage.head("k/card")
    assert (head.size, head.content_type, dict(head.metadata)) == (
        3,
        "image/jpeg",
        {"version": "2"},
    )


async def test_readers_during_overwrites_see_one_whole_version(storage: Storage) -> None:
    # Two versions that differ in every respect, so any mix of bytes or metadata is detectable.
    versions = {
        "a": (b"a" * (1024 * 1024), "image/png"),
        "b": (b"b" * (1536 * 1024 + 7), "image/jpeg"),
    }
    key = "images/race/card"
    await storage.put(key, versions["a"][0], versions["a"][1], {"version": "a"})
    done = asyncio.Event()
    seen: set[str] = set()

    async def writer() -> None:
        try:
            for i in range(12):
                name = "ab"[(i + 1) % 2]
                await storage.put(key, versions[name][0], versions[name][1], {"version": name})
        finally:
            done.set()

    async def reader() -> None:
        while not done.is_set():
            info, body, _ = await read_all(storage, key)
            name = info.metadata["version"]
            data, content_type = versions[name]
            assert body == data, (
                f"read a mix: {len(body)} bytes, {set(body)!r} under version {name}"
            )
            assert (info.size, info.content_type) == (len(data), content_type)
            head = await storage.head(key)
            expected = versions[head.metadata["version"]]
            assert (head.size, head.content_type) == (len(expected[0]), expected[1])
            seen.add(name)

    await asyncio.gather(writer(), reader(), reader(), reader())
    # Twelve overwrites are plenty for the readers to catch both versions.
    assert seen == {"a", "b"}


async def test_missing_key(storage: Storage) -> None:
    with pytest.raises(ObjectNotFound):
        await storage.head("images/nope/card.png")
    with pytest.raises(ObjectNotFound):
        async with storage.open("images/nope/card.png"):
            pytest.fail("opened a missing object")
    await storage.delete("images/nope/card.png")
    await storage.delete("never/existed/at/all")


async def test_delete(storage: Storage) -> None:
    await storage.put("images/gone/card.png", b"bytes", "image/png", {"etag": "x"})
    await storage.put("images/gone/other.png", b"stays", "image/png")
    await storage.delete("images/gone/card.png")
    with pytest.raises(ObjectNotFound):
        await storage.head("images/gone/card.png")
    with pytest.raises(ObjectNotFound):
        async with storage.open("images/gone/card.png"):
            pytest.fail("opened a deleted object")
    await storage.delete("images/gone/card.png")  # twice is fine
    _, body, _ = await read_all(storage, "images/gone/other.png")
    assert body == b"stays"
    # A key deleted and written again is a fresh object with its new metadata only.
    await storage.put("images/gone/card.png", b"again", "image/webp")
    info = await storage.head("images/gone/card.png")
    assert (info.size, info.content_type, dict(info.metadata)) == (5, "image/webp", {})


BAD_KEYS = [
    "../x",
    "a/../../x",
    "/abs",
    "a//b",
    "a/./b",
    "./a",
    "a/..",
    "a/",
    "",
    "a\x00b",
    "a\\b",
    "..\\x",
]


@pytest.mark.parametrize("key", BAD_KEYS)
async def test_invalid_keys_rejected(storage: Storage, key: str) -> None:
    with pytest.raises(InvalidKey):
        await storage.put(key, b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.head(key)
    with pytest.raises(InvalidKey):
        async with storage.open(key):
            pytest.fail("opened an invalid key")
    with pytest.raises(InvalidKey):
        await storage.delete(key)


@pytest.mark.parametrize(
    ("content_type", "metadata"),
    [
        ("", None),
        ("image/png\r\nx-evil: 1", None),
        ("image/png", {"Etag": "upper-case key"}),
        ("image/png", {"my_key": "underscore"}),
        ("image/png", {"k": "non-ascii é"}),
        ("image/png", {"k": "line\nbreak"}),
        ("image/png", {"k": "x" * 2100}),
    ],
)
async def test_unstorable_content_type_or_metadata_rejected(
    storage: Storage, content_type: str, metadata: dict[str, str] | None
) -> None:
    with pytest.raises(InvalidMetadata):
        await storage.put("images/meta/card.png", b"x", content_type, metadata)
    with pytest.raises(ObjectNotFound):
        await storage.head("images/meta/card.png")


@pytest.mark.parametrize(
    "key",
    [
        "images/héllo wörld/ä b.png",
        "specs/日本語 カード.json",
        "odd/chars +&=?#%;@!'()~.png",
        "odd/ leading and trailing spaces ",
        "emoji/🎉.png",
    ],
)
async def test_unusual_keys_round_trip(storage: Storage, key: str) -> None:
    await storage.put(key, key.encode(), "text/plain; charset=utf-8", {"k": "v"})
    info, body, _ = await read_all(storage, key)
    assert body == key.encode()
    assert (info.content_type, dict(info.metadata)) == ("text/plain; charset=utf-8", {"k": "v"})
    await storage.delete(key)
    with pytest.raises(ObjectNotFound):
        await storage.head(key)


async def test_ping(storage: Storage) -> None:
    await storage.ping()


async def test_put_if_absent_creates_once_and_never_overwrites(storage: Storage) -> None:
    assert await storage.put_if_absent("system/secret", b"first", "text/plain", {"v": "1"})
    assert not await storage.put_if_absent("system/secret", b"second", "text/plain")
    info, body, _ = await read_all(storage, "system/secret")
    assert body == b"first"
    assert dict(info.metadata) == {"v": "1"}


async def test_put_if_absent_has_one_winner_among_concurrent_creators(storage: Storage) -> None:
    results = await asyncio.gather(
        *(storage.put_if_absent("system/race", b"w%d" % i, "text/plain") for i in range(12))
    )
    assert results.count(True) == 1
    _, body, _ = await read_all(storage, "system/race")
    assert body == b"w%d" % results.index(True)  # the object is the winner's, whole


async def test_list_is_sorted_scoped_to_the_folder_and_pages(storage: Storage) -> None:
    keys = [f"index/cards/acme/{n:04d}-slug" for n in (7, 3, 12, 1)] + [
        "index/cards/acme/sub/x",
        "index/cards/acmeish/nope",
        "index/cards/other/nope",
    ]
    for key in keys:
        await storage.put(key, b"", "application/octet-stream")
    await storage.put("index/cards/acme/0009-meta", b"", "image/png", {"etag": '"x"'})
    listed = await storage.list("index/cards/acme/")
    assert listed == [
        "index/cards/acme/0001-slug",
        "index/cards/acme/0003-slug",
        "index/cards/acme/0007-slug",
        "index/cards/acme/0009-meta",
        "index/cards/acme/0012-slug",
        "index/cards/acme/sub/x",
    ]
    assert await storage.list("index/cards/acme/", limit=2) == listed[:2]
    after = await storage.list("index/cards/acme/", start_after=listed[1], limit=2)
    assert after == listed[2:4]
    assert await storage.list("index/cards/none/") == []
    await storage.delete("index/cards/acme/0003-slug")
    assert "index/cards/acme/0003-slug" not in await storage.list("index/cards/acme/")


@pytest.mark.parametrize("prefix", ["index", "/index/", "../x/", "index//", ""])
async def test_list_refuses_malformed_prefixes(storage: Storage, prefix: str) -> None:
    with pytest.raises(InvalidKey):
        await storage.list(prefix)


async def test_local_path_is_the_file_on_disk_and_none_elsewhere(storage: Storage) -> None:
    await storage.put("images/PathSend0001/card.png", b"\x89PNG-bytes", "image/png")
    path = storage.local_path("images/PathSend0001/card.png")
    if storage.name == "local":
        assert path is not None
        assert await asyncio.to_thread(Path(path).read_bytes) == b"\x89PNG-bytes"
        assert storage.local_path("../escape") is None
    else:
        assert path is None  # a remote object has no file a server could send
