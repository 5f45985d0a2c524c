"""Local-disk specifics the contract cannot see: files on disk, symlinks, sidecars, crashes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config.settings import StorageSettings
from proxy.storage import (
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    StorageUnavailable,
    create_storage,
)


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def sidecars(root: Path) -> set[str]:
    return {name for name in files_under(root) if name.endswith(".ogmeta")}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def storage(root: Path) -> LocalStorage:
    return LocalStorage(str(root))


async def test_files_on_disk_after_puts_and_overwrites(storage: LocalStorage, root: Path) -> None:
    await storage.put("images/abc/card.png", b"png", "image/png", {"etag": "1"})
    await storage.put("images/abc/card.png", b"png2", "image/png", {"etag": "2"})
    await storage.put("specs/abc.json", b"{}", "application/json")
    await storage.put("specs/abc.json", b"{}", "application/json")

    # Exactly: each object, one sidecar per object, one lock per written directory; no temp file.
    names = files_under(root)
    assert (root / "images/abc/card.png").read_bytes() == b"png2"
    assert {n for n in names if not n.endswith((".ogmeta", ".oglock"))} == {
        "images/abc/card.png",
        "specs/abc.json",
    }
    assert {n.rsplit(".", 2)[0] for n in sidecars(root)} == {
        "images/abc/card.png",
        "specs/abc.json",
    }
    assert len(sidecars(root)) == 2
    assert {n for n in names if n.endswith(".oglock")} == {"images/abc/.oglock", "specs/.oglock"}
    # Other local readers (nginx, backups) can read what we store.
    assert (root / "images/abc/card.png").stat().st_mode & 0o777 == 0o644

    await storage.delete("images/abc/card.png")
    await storage.delete("specs/abc.json")
    assert {n for n in files_under(root) if not n.endswith(".oglock")} == set()


@pytest.mark.parametrize("failing_call", [1, 2])
async def test_failed_put_leaves_old_object_and_no_debris(
    storage: LocalStorage, root: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    await storage.put("images/abc/card.png", b"old", "image/png", {"v": "old"})
    before = files_under(root)
    real_replace = os.replace
    calls = 0

    def flaky_replace(src: Any, dst: Any) -> None:
        # Call 1 renames the new sidecar into place, call 2 the data: fail either (disk full, crash).
        nonlocal calls
        calls += 1
        if calls == failing_call:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(StorageUnavailable):
        await storage.put("images/abc/card.png", b"new!", "image/webp", {"v": "new"})
    monkeypatch.undo()

    assert files_under(root) == before
    info = await storage.head("images/abc/card.png")
    assert (info.size, info.content_type, dict(info.metadata)) == (3, "image/png", {"v": "old"})


async def test_symlinked_directory_out_of_root_refused(
    storage: LocalStorage, root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    (root / "evil").symlink_to(outside, target_is_directory=True)

    with pytest.raises(InvalidKey):
        await storage.put("evil/planted", b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.put("evil/new/deeper", b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.head("evil/secret")
    with pytest.raises(InvalidKey):
        async with storage.open("evil/secret"):
            pytest.fail("read through a symlink out of the root")
    with pytest.raises(InvalidKey):
        await storage.delete("evil/secret")
    assert sorted(p.name for p in outside.iterdir()) == ["secret"]


async def test_symlinked_file_out_of_root_refused(
    storage: LocalStorage, root: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"secret")
    (root / "link.png").symlink_to(secret)
    with pytest.raises(InvalidKey):
        await storage.head("link.png")
    with pytest.raises(InvalidKey):
        await storage.put("link.png", b"overwrite", "image/png")
    assert secret.read_bytes() == b"secret"


async def test_symlinks_inside_the_root_and_a_symlinked_root_work(
    root: Path, tmp_path: Path
) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    storage = LocalStorage(str(alias))
    await storage.put("real/card.png", b"png", "image/png")
    (root / "shortcut").symlink_to(root / "real", target_is_directory=True)
    async with storage.open("shortcut/card.png") as (info, chunks):
        assert [c async for c in chunks] == [b"png"]
        assert info.content_type == "image/png"


async def test_sidecars_temp_and_lock_files_cannot_be_addressed(
    storage: LocalStorage, root: Path
) -> None:
    await storage.put("images/abc/card.png", b"png", "image/png", {"etag": "1"})
    (sidecar,) = sidecars(root)
    reserved = [
        sidecar,
        "images/abc/.oglock",
        "images/abc/.card.png.abc123.ogtmp",
        "images/abc/card.png.ogmeta",
        "dir.ogmeta/card.png",
        "dir.ogtmp/x",
    ]
    for key in reserved:
        with pytest.raises(InvalidKey):
            await storage.head(key)
        with pytest.raises(InvalidKey):
            async with storage.open(key):
                pytest.fail(f"opened reserved name {key}")
        with pytest.raises(InvalidKey):
            await storage.put(key, b"x", "text/plain")
        with pytest.raises(InvalidKey):
            await storage.delete(key)
    assert (await storage.head("images/abc/card.png")).metadata == {"etag": "1"}


async def test_key_under_an_existing_object_refused(storage: LocalStorage) -> None:
    # S3 allows both `a` and `a/b`; a directory tree cannot, and says so instead of failing oddly.
    await storage.put("a", b"file", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.put("a/b", b"x", "text/plain")
    await storage.put("d/e", b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.put("d", b"x", "text/plain")
    with pytest.raises(ObjectNotFound):
        await storage.head("d")
    with pytest.raises(ObjectNotFound):
        async with storage.open("d"):
            pytest.fail("opened a directory")
    await storage.delete("d")
    assert (await storage.head("d/e")).size == 1


async def test_reader_keeps_its_version_across_an_overwrite(storage: LocalStorage) -> None:
    old = os.urandom(300_000)
    await storage.put("k", old, "image/png", {"v": "old"})
    async with storage.open("k") as (info, chunks):
        await storage.put("k", b"new", "image/jpeg", {"v": "new"})
        body = b"".join([c async for c in chunks])
    assert (body, info.content_type, dict(info.metadata)) == (old, "image/png", {"v": "old"})
    assert dict((await storage.head("k")).metadata) == {"v": "new"}


async def test_metadata_always_matches_the_bytes_under_overwrite_storms(
    storage: LocalStorage,
) -> None:
    # Small objects and many rounds widen the window between reading a file and its sidecar.
    versions = {"a": (b"a" * 10, "image/png"), "b": (b"b" * 20, "image/jpeg")}
    await storage.put("k", b"a" * 10, "image/png", {"v": "a"})
    done = asyncio.Event()

    async def writer(first: int) -> None:
        for i in range(first, first + 300):
            name = "ab"[i % 2]
            await storage.put("k", *versions[name], {"v": name})

    async def writers() -> None:
        # Two writers: freed inodes get reused at once, so an overwrite that removed the wrong
        # sidecar would strip the other writer's fresh metadata.
        await asyncio.gather(writer(0), writer(1))
        done.set()

    async def reader(check: Callable[[], Any]) -> None:
        while not done.is_set():
            await check()

    async def check_open() -> None:
        async with storage.open("k") as (info, chunks):
            body = b"".join([c async for c in chunks])
        assert "v" in info.metadata, f"an object without its metadata: {info}"
        assert (body, info.content_type) == versions[info.metadata["v"]]
        assert info.size == len(body)

    async def check_head() -> None:
        info = await storage.head("k")
        assert "v" in info.metadata, f"an object without its metadata: {info}"
        data, content_type = versions[info.metadata["v"]]
        assert (info.size, info.content_type) == (len(data), content_type)

    await asyncio.gather(writers(), *(reader(check_open) for _ in range(3)), reader(check_head))


async def test_file_placed_by_hand_is_served_with_a_guessed_type(
    storage: LocalStorage, root: Path
) -> None:
    (root / "images/seed").mkdir(parents=True)
    (root / "images/seed/card.png").write_bytes(b"png")
    info = await storage.head("images/seed/card.png")
    assert (info.size, info.content_type, dict(info.metadata)) == (3, "image/png", {})


async def test_delete_removes_orphan_sidecars(storage: LocalStorage, root: Path) -> None:
    await storage.put("images/abc/card.png", b"png", "image/png")
    (root / "images/abc/card.png.12345.ogmeta").write_text("{}")  # left by a crashed put
    (root / "images/abc/card.png.other.ogmeta").write_text("{}")  # not a sidecar of this key
    await storage.delete("images/abc/card.png")
    assert sorted(p.name for p in (root / "images/abc").iterdir()) == [
        ".oglock",
        "card.png.other.ogmeta",
    ]


async def test_ping_and_factory(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable):
        await LocalStorage(str(tmp_path / "missing")).ping()
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StorageUnavailable):
        await LocalStorage(str(tmp_path / "file")).ping()
    # The factory creates the data directory, so a fresh install is ready before its first put.
    storage = await create_storage(StorageSettings(data_dir=str(tmp_path / "fresh/data")))
    assert isinstance(storage, LocalStorage)
    await storage.ping()


async def test_put_creates_a_missing_root(tmp_path: Path) -> None:
    storage = LocalStorage(str(tmp_path / "later"))
    await storage.put("a/b/c.png", b"x", "image/png")
    assert (tmp_path / "later/a/b/c.png").read_bytes() == b"x"


async def test_overlong_key_is_invalid_not_unavailable(storage: LocalStorage) -> None:
    with pytest.raises(InvalidKey):
        await storage.put("x" * 300, b"x", "text/plain")
    with pytest.raises(InvalidKey):
        await storage.head("x" * 300)


async def test_file_io_runs_off_the_event_loop(
    storage: LocalStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_thread: list[bool] = []
    real_open = open

    def spying_open(*args: Any, **kwargs: Any) -> Any:
        loop_thread.append(_on_loop_thread())
        return real_open(*args, **kwargs)

    await storage.put("k", b"x" * 200_000, "image/png")
    monkeypatch.setattr("builtins.open", spying_open)
    async with storage.open("k") as (_info, chunks):
        async for _ in chunks:
            pass
    await storage.head("k")
    assert loop_thread, "open() was never called"
    assert not any(loop_thread)


def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
