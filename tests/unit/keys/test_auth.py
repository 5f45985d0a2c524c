"""Authenticator: header forms, typed errors, TTL and negative caches (injected clock), authorize."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from proxy.http.errors import describe
from proxy.keys import (
    ApiKey,
    Authenticator,
    ForbiddenProject,
    InvalidKey,
    InvalidProject,
    KeyRegistry,
    MissingKey,
    authorize,
    extract_key,
)
from proxy.keys.model import hash_secret, new_key_id, new_secret
from proxy.storage import StorageUnavailable
from tests.unit.keys.conftest import Clock, RecordingStorage


class Ticker:
    """The authenticator's monotonic clock, moved by hand: TTLs are tested without sleeping."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def node(local_storage: RecordingStorage) -> tuple[Authenticator, Ticker]:
    ticker = Ticker()
    return Authenticator(KeyRegistry(local_storage), ttl=5.0, clock=ticker), ticker


@pytest.fixture
def admin(local_storage: RecordingStorage) -> KeyRegistry:
    """Another node's registry (the CLI, say) writing to the same storage."""
    return KeyRegistry(local_storage, now=Clock())


def key_gets(storage: RecordingStorage) -> int:
    return sum(1 for k in storage.opens if k.startswith("keys/") and "/by-id/" not in k)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-api-key": "K"}, "K"),
        ({"X-Api-Key": " K "}, "K"),
        ({"authorization": "Bearer K"}, "K"),
        ({"Authorization": "bearer K"}, "K"),
        ({"AUTHORIZATION": "BEARER   K"}, "K"),
        ({"x-api-key": "A", "authorization": "Bearer B"}, "A"),
        ({"x-api-key": "", "authorization": "Bearer B"}, "B"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, None),
        ({"authorization": "Bearer"}, None),
        ({"authorization": "Bearer "}, None),
        ({"x-api-key": "  "}, None),
        ({}, None),
    ],
)
def test_extract_key(headers: Mapping[str, str], expected: str | None) -> None:
    assert extract_key(headers) == expected


async def test_both_header_forms(node: tuple[Authenticator, Ticker], admin: KeyRegistry) -> None:
    auth, _ = node
    secret, key = await admin.create("acme")
    assert await auth.authenticate({"x-api-key": secret}) == key
    assert await auth.authenticate({"Authorization": f"Bearer {secret}"}) == key


async def test_missing_malformed_unknown_revoked(
    node: tuple[Authenticator, Ticker], admin: KeyRegistry, local_storage: RecordingStorage
) -> None:
    auth, ticker = node
    with pytest.raises(MissingKey) as missing:
        await auth.authenticate({"authorization": "Basic abc"})
    assert describe(missing.value).status == 401
    messages = set()
    local_storage.opens.clear()
    with pytest.raises(InvalidKey) as malformed:
        await auth.authenticate({"x-api-key": "not-a-key"})
    assert local_storage.opens == []  # malformed: no storage I/O at all
    messages.add(str(malformed.value))
    with pytest.raises(InvalidKey) as unknown:
        await auth.authenticate({"x-api-key": "ogk_live_" + "Z" * 32})
    messages.add(str(unknown.value))
    secret, key = await admin.create("acme")
    await admin.revoke(key.id)
    with pytest.raises(InvalidKey) as revoked:
        await auth.authenticate({"x-api-key": secret})
    messages.add(str(revoked.value))
    assert len(messages) == 1 and describe(revoked.value).status == 401  # never says which
    ticker.t += 100  # and still revoked once the cache has expired
    with pytest.raises(InvalidKey):
        await auth.authenticate({"x-api-key": secret})


async def test_revocation_seen_within_ttl(
    node: tuple[Authenticator, Ticker], admin: KeyRegistry, local_storage: RecordingStorage
) -> None:
    auth, ticker = node
    secret, key = await admin.create("acme")
    headers = {"x-api-key": secret}
    assert await auth.authenticate(headers) == key
    await admin.revoke(key.id)  # on another node
    gets = key_gets(local_storage)
    ticker.t += 4.9
    assert await auth.authenticate(headers) == key  # cached: no storage GET
    assert key_gets(local_storage) == gets
    ticker.t += 0.2  # past ttl: re-read, revoked
    with pytest.raises(InvalidKey):
        await auth.authenticate(headers)
    assert key_gets(local_storage) == gets + 1


async def test_negative_cache(
    node: tuple[Authenticator, Ticker], local_storage: RecordingStorage
) -> None:
    auth, ticker = node
    bad = {"x-api-key": "ogk_live_" + "Q" * 32}
    for _ in range(50):
        with pytest.raises(InvalidKey):
            await auth.authenticate(bad)
    assert key_gets(local_storage) == 1
    ticker.t += 1.1  # the negative entry lives ~1 s
    with pytest.raises(InvalidKey):
        await auth.authenticate(bad)
    assert key_gets(local_storage) == 2


async def test_key_appearing_after_a_miss_is_seen_after_negative_ttl(
    node: tuple[Authenticator, Ticker], admin: KeyRegistry
) -> None:
    auth, ticker = node
    secret = new_secret()
    with pytest.raises(InvalidKey):
        await auth.authenticate({"x-api-key": secret})
    # The key is written (by another node) just after the miss was cached.
    key = ApiKey(
        id=new_key_id(), hash=hash_secret(secret), project="acme", created=datetime.now(UTC)
    )
    await admin._store_new(key)
    ticker.t += 0.5
    with pytest.raises(InvalidKey):
        await auth.authenticate({"x-api-key": secret})
    ticker.t += 0.6
    assert await auth.authenticate({"x-api-key": secret}) == key


async def test_concurrent_lookups_share_one_get(
    node: tuple[Authenticator, Ticker], admin: KeyRegistry, local_storage: RecordingStorage
) -> None:
    auth, _ = node
    secret, key = await admin.create("acme")
    before = key_gets(local_storage)
    results = await asyncio.gather(*(auth.authenticate({"x-api-key": secret}) for _ in range(20)))
    assert results == [key] * 20
    assert key_gets(local_storage) == before + 1


async def test_storage_failure_is_not_cached_as_invalid(
    node: tuple[Authenticator, Ticker], admin: KeyRegistry, local_storage: RecordingStorage
) -> None:
    auth, _ = node
    secret, key = await admin.create("acme")
    real_open = local_storage.inner.open

    def broken(_key: str) -> object:
        raise StorageUnavailable("down")

    local_storage.inner.open = broken  # type: ignore[assignment,method-assign]
    with pytest.raises(StorageUnavailable):
        await auth.authenticate({"x-api-key": secret})
    local_storage.inner.open = real_open  # type: ignore[method-assign]
    assert await auth.authenticate({"x-api-key": secret}) == key


def make_key(project: str, is_global: bool) -> ApiKey:
    return ApiKey(
        id="key_abcdefABCDEF", hash="0" * 64, project=project, is_global=is_global,
        created=datetime.now(UTC),
    )  # fmt: skip


def test_authorize_project_key() -> None:
    key = make_key("acme", is_global=False)
    assert authorize(key, None) == "acme"
    assert authorize(key, "acme") == "acme"
    with pytest.raises(ForbiddenProject) as exc:
        authorize(key, "other")
    assert describe(exc.value).status == 403
    with pytest.raises(InvalidProject) as bad:
        authorize(key, "../acme")
    assert describe(bad.value).status == 400


def test_authorize_global_key() -> None:
    key = make_key("ops", is_global=True)
    assert authorize(key, None) == "ops"
    assert authorize(key, "acme") == "acme"
    assert authorize(key, "anything-else") == "anything-else"
    with pytest.raises(InvalidProject):
        authorize(key, "Not Valid")


async def test_project_quota_cached(
    node: tuple[Authenticator, Ticker], admin: KeyRegistry, local_storage: RecordingStorage
) -> None:
    auth, ticker = node
    await admin.create("acme", monthly_quota=100)
    assert await auth.project_quota("acme") == 100
    assert await auth.project_quota("unknown") == 0
    await admin.set_monthly_quota("acme", 7)
    opens = len(local_storage.opens)
    assert await auth.project_quota("acme") == 100  # cached
    assert len(local_storage.opens) == opens
    ticker.t += 5.1
    assert await auth.project_quota("acme") == 7
