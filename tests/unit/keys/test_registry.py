"""KeyRegistry on local disk and on S3 (moto): round trips, hash-only storage, revoke, rotate, list."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pathlib

import msgspec
import pytest

from proxy import layout
from proxy.keys import (
    DEFAULT_BURST,
    DEFAULT_RATE,
    CorruptRecord,
    InvalidInput,
    KeyNotFound,
    KeyRegistry,
)
from tests.unit.keys.conftest import Clock, RecordingStorage


async def test_create_round_trip(registry: KeyRegistry) -> None:
    secret, key = await registry.create(
        "acme", rate=2.5, burst=5, monthly_quota=1000, is_global=True, label="ci"
    )
    assert key.id.startswith("key_") and key.project == "acme" and key.is_global
    assert (key.rate, key.burst, key.label, key.revoked) == (2.5, 5, "ci", None)
    assert key.hash == hashlib.sha256(secret.encode()).hexdigest()
    assert await registry.get_by_secret(secret) == key
    assert await registry.get(key.id) == key
    project = await registry.get_project("acme")
    assert project is not None and project.monthly_quota == 1000


async def test_defaults(registry: KeyRegistry) -> None:
    _, key = await registry.create("acme")
    assert (key.rate, key.burst, key.is_global, key.label) == (
        DEFAULT_RATE,
        DEFAULT_BURST,
        False,
        "",
    )
    project = await registry.get_project("acme")
    assert project is not None and project.monthly_quota == 0


async def test_secret_is_never_stored(registry: KeyRegistry, storage: RecordingStorage) -> None:
    secret, key = await registry.create("acme", label="x")
    new_secret, _ = await registry.rotate(key.id)
    await registry.list()
    assert storage.puts
    for stored_key, data in storage.puts:
        for s in (secret, new_secret):
            assert s.encode() not in data, stored_key
            assert s[len("ogk_live_") :].encode() not in data, stored_key
            assert s not in stored_key


async def test_secret_not_on_disk(
    local_storage: RecordingStorage, tmp_path: os.PathLike[str]
) -> None:
    secret, _ = await KeyRegistry(local_storage).create("acme")
    body = secret[len("ogk_live_") :].encode()
    files = _read_tree(tmp_path)
    assert len(files) >= 4  # record, pointer, listing marker, project (and their sidecars)
    for path, data in files.items():
        assert body not in data, path


def _read_tree(root: os.PathLike[str]) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in pathlib.Path(root).rglob("*") if p.is_file()}


async def test_lookup_is_one_get_by_hash(registry: KeyRegistry, storage: RecordingStorage) -> None:
    secret, key = await registry.create("acme")
    storage.opens.clear()
    assert await registry.get_by_secret(secret) == key
    assert storage.opens == [f"keys/{hashlib.sha256(secret.encode()).hexdigest()}.json"]


async def test_unknown_and_malformed_secrets(
    registry: KeyRegistry, storage: RecordingStorage
) -> None:
    assert await registry.get_by_secret("ogk_live_" + "A" * 32) is None
    storage.opens.clear()
    for bad in ("", "nope", "ogk_live_short", "ogk_live_" + "A" * 31 + "/"):
        assert await registry.get_by_secret(bad) is None
    assert storage.opens == []  # malformed: refused without storage I/O


async def test_revoke(registry: KeyRegistry) -> None:
    secret, key = await registry.create("acme")
    revoked = await registry.revoke(key.id)
    assert revoked.revoked is not None and not revoked.active
    assert await registry.get_by_secret(secret) is None
    assert await registry.get_by_hash(key.hash) == revoked  # the record stays, marked
    again = await registry.revoke(key.id)  # idempotent, keeps the first time
    assert again.revoked == revoked.revoked
    with pytest.raises(KeyNotFound):
        await registry.revoke("key_000000000000")
    with pytest.raises(InvalidInput):
        await registry.revoke("../index")


async def test_rotate_keeps_settings(registry: KeyRegistry) -> None:
    old_secret, old = await registry.create("acme", rate=3, burst=7, is_global=True, label="bot")
    new_secret, new = await registry.rotate(old.id)
    assert new_secret != old_secret and new.id != old.id and new.hash != old.hash
    assert (new.project, new.rate, new.burst, new.is_global, new.label) == (
        "acme", 3.0, 7, True, "bot"
    )  # fmt: skip
    assert await registry.get_by_secret(old_secret) is None
    assert await registry.get_by_secret(new_secret) == new
    with pytest.raises(InvalidInput, match="revoked"):
        await registry.rotate(old.id)
    with pytest.raises(KeyNotFound):
        await registry.rotate("key_000000000000")


async def test_list_all_and_by_project(registry: KeyRegistry) -> None:
    assert await registry.list() == []
    _, a1 = await registry.create("alpha")
    _, b1 = await registry.create("beta", is_global=True)
    _, a2 = await registry.create("alpha")
    await registry.revoke(a1.id)
    listed = await registry.list()
    assert [k.id for k in listed] == [a1.id, b1.id, a2.id]  # oldest first
    assert listed[0].revoked is not None
    assert [k.id for k in await registry.list("alpha")] == [a1.id, a2.id]
    assert await registry.list("gamma") == []
    with pytest.raises(InvalidInput):
        await registry.list("Bad Name")


async def test_quota_is_per_project(registry: KeyRegistry) -> None:
    await registry.create("acme", monthly_quota=100)
    await registry.create("acme")  # no quota given: kept
    project = await registry.get_project("acme")
    assert project is not None and project.monthly_quota == 100
    await registry.create("acme", monthly_quota=0)  # explicit: updated
    project = await registry.get_project("acme")
    assert project is not None and project.monthly_quota == 0
    updated = await registry.set_monthly_quota("other", 5)
    assert updated.monthly_quota == 5
    assert await registry.get_project("nobody") is None


@pytest.mark.parametrize(
    "kwargs",
    [{"rate": 0}, {"burst": 0}, {"monthly_quota": -1}, {"label": "\x07"}],
)
async def test_invalid_input_writes_nothing(
    registry: KeyRegistry, storage: RecordingStorage, kwargs: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        await registry.create("acme", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        await registry.create("../acme")
    assert storage.puts == []


async def test_concurrent_creates_all_listed(storage: RecordingStorage) -> None:
    # Two registries stand for two processes: no shared lock, only the write-then-verify loop.
    one, two = KeyRegistry(storage, now=Clock()), KeyRegistry(storage, now=Clock())
    created = await asyncio.gather(*(r.create("acme") for r in (one, two) for _ in range(5)))
    listed = {k.id for k in await one.list()}
    assert listed == {key.id for _, key in created}


async def test_keys_listed_by_the_legacy_single_document_index_stay_listed(
    local_storage: RecordingStorage,
) -> None:
    registry = KeyRegistry(local_storage)
    _, new = await registry.create("acme")
    _, old = await registry.create("other")
    # As ogedge 0.1 left it: the key's marker is missing, its entry is in keys/index.json.
    await local_storage.delete(f"{layout.KEY_INDEX}/other/{old.id}")
    legacy = {"version": 1, "keys": {old.id: {"hash": old.hash, "project": "other"}}}
    await local_storage.put(
        layout.LEGACY_KEY_INDEX, msgspec.json.encode(legacy), "application/json"
    )
    assert {k.id for k in await registry.list()} == {new.id, old.id}
    assert [k.id for k in await registry.list("other")] == [old.id]
    assert [k.id for k in await registry.list("acme")] == [new.id]


async def test_corrupt_records_are_errors_not_misses(local_storage: RecordingStorage) -> None:
    registry = KeyRegistry(local_storage)
    secret, key = await registry.create("acme")
    await local_storage.put(f"keys/{key.hash}.json", b"{not json", "application/json")
    with pytest.raises(CorruptRecord):
        await registry.get_by_secret(secret)
    _, other = await registry.create("acme")
    # A record filed under the wrong hash must not authenticate.
    await local_storage.put(f"keys/{key.hash}.json", msgspec.json.encode(other), "application/json")
    with pytest.raises(CorruptRecord):
        await registry.get_by_secret(secret)
