"""The /i/<slug> hot path through the ASGI app (Litestar's test client), on local storage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email.utils import formatdate
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

import config
from devkit.ogedge import png_bytes, seed
from proxy import layout
from proxy.app import create_app
from proxy.records import ImageMeta, SpecRecord, etag_for
from proxy.state import SharedState
from proxy.storage.base import ObjectInfo, StorageUnavailable

SLUG = "AbCdEfGh1234"
OTHER = "ZyXwVu987654"


class CountingStorage:
    """Wraps the real backend to count reads, and can be switched to fail like a dead endpoint."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.heads = 0
        self.opens = 0
        self.paths = 0
        self.down = False

    async def head(self, key: str) -> ObjectInfo:
        self.heads += 1
        if self.down:
            raise StorageUnavailable("down")
        result: ObjectInfo = await self.inner.head(key)
        return result

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[Any]:
        self.opens += 1
        if self.down:
            raise StorageUnavailable("down")
        async with self.inner.open(key) as opened:
            yield opened

    def local_path(self, key: str) -> str | None:
        self.paths += 1
        result: str | None = self.inner.local_path(key)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def reads(self) -> int:
        return self.heads + self.opens


def make_settings(tmp_path: Path, state_env: dict[str, str], **env: str) -> config.Settings:
    return config.load({"OGEDGE_DATA_DIR": str(tmp_path / "data"), **state_env, **env})


@pytest.fixture
def settings(tmp_path: Path, state_env: dict[str, str]) -> config.Settings:
    return make_settings(tmp_path, state_env, OGEDGE_IMAGE_RATE="1000", OGEDGE_IMAGE_BURST="1000")


@pytest.fixture
def card(settings: config.Settings) -> tuple[bytes, ImageMeta]:
    data = png_bytes()
    meta = asyncio.run(seed(settings, SLUG, data))
    return data, meta


@pytest.fixture
def client(
    settings: config.Settings, card: Any
) -> Iterator[tuple[TestClient[Any], CountingStorage]]:
    app = create_app(settings)
    with TestClient(app) as tc:
        services = app.litestar.state.services
        counting = CountingStorage(services.storage)
        services.catalog.storage = counting
        yield tc, counting


def test_get_serves_bytes_with_validators(client: Any, card: Any) -> None:
    tc, _ = client
    data, meta = card
    r = tc.get(f"/i/{SLUG}")
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["etag"] == meta.etag
    assert r.headers["etag"].startswith('"') and r.headers["etag"].endswith('"')
    assert r.headers["last-modified"] == formatdate(meta.modified, usegmt=True)
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_second_get_comes_from_memory(client: Any, card: Any) -> None:
    tc, storage = client
    assert tc.get(f"/i/{SLUG}").status_code == 200
    reads = storage.reads
    for _ in range(5):
        r = tc.get(f"/i/{SLUG}")
        assert r.status_code == 200
        assert r.content == card[0]
    assert storage.reads == reads


def test_head_has_get_headers_and_no_body_and_reads_no_body(client: Any, card: Any) -> None:
    tc, storage = client
    r = tc.head(f"/i/{SLUG}")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len(card[0]))
    assert r.headers["etag"] == card[1].etag
    assert storage.opens == 1  # the spec record only: never the image body
    before = storage.reads
    assert tc.head(f"/i/{SLUG}").status_code == 200
    assert storage.reads == before  # cached metadata: no storage at all


@pytest.mark.parametrize(
    "header",
    ["{etag}", "*", "W/{etag}", '"nope", {etag}', '"a", W/{etag}, "b"', " {etag} "],
)
def test_if_none_match_forms_give_304(client: Any, card: Any, header: str) -> None:
    tc, storage = client
    etag = card[1].etag
    assert tc.head(f"/i/{SLUG}").status_code == 200  # warm the metadata
    before = storage.reads
    r = tc.get(f"/i/{SLUG}", headers={"if-none-match": header.format(etag=etag)})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == etag
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "last-modified" in r.headers
    assert storage.reads == before


def test_non_matching_if_none_match_gives_200(client: Any, card: Any) -> None:
    tc, _ = client
    r = tc.get(f"/i/{SLUG}", headers={"if-none-match": '"something-else", W/"x"'})
    assert r.status_code == 200
    assert r.content == card[0]


def test_if_modified_since(client: Any, card: Any) -> None:
    tc, _ = client
    lm = tc.head(f"/i/{SLUG}").headers["last-modified"]
    assert tc.get(f"/i/{SLUG}", headers={"if-modified-since": lm}).status_code == 304
    old = formatdate(card[1].modified - 3600, usegmt=True)
    assert tc.get(f"/i/{SLUG}", headers={"if-modified-since": old}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/i/short",
        "/i/AbCdEfGh12345",
        "/i/AbCdEfGh-234",
        "/i/",
        "/i/AbCdEfGh1234/x",
        "/i/..%2F..%2Fetc",
    ],
)
def test_malformed_slug_is_404_without_storage(client: Any, path: str) -> None:
    tc, storage = client
    r = tc.get(path)
    assert r.status_code == 404
    assert r.json()["success"] is False
    assert r.json()["error"]["code"] == "not_found"
    assert storage.reads == 0


def test_unknown_slug_is_404_once_then_negative_cache(client: Any) -> None:
    tc, storage = client
    r = tc.get(f"/i/{OTHER}")
    assert r.status_code == 404
    assert r.headers["cache-control"] == "public, max-age=30"
    first = storage.reads
    assert first >= 1
    for _ in range(20):
        assert tc.get(f"/i/{OTHER}").status_code == 404
    assert storage.reads == first


def test_methods_other_than_get_head(client: Any) -> None:
    tc, _ = client
    r = tc.post(f"/i/{SLUG}")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"


def test_storage_down_hits_from_memory_misses_503(client: Any, settings: config.Settings) -> None:
    tc, storage = client
    assert tc.get(f"/i/{SLUG}").status_code == 200  # now hot
    asyncio.run(seed(settings, OTHER, png_bytes(seed_value=2)))
    storage.down = True
    r = tc.get(f"/i/{SLUG}")
    assert r.status_code == 200
    assert tc.get(f"/i/{SLUG}", headers={"if-none-match": r.headers["etag"]}).status_code == 304
    miss = tc.get(f"/i/{OTHER}")
    assert miss.status_code == 503
    # The same answer the APIs give for a storage outage (one mapping, proxy/http/errors.py).
    assert miss.headers["retry-after"] == "2"
    assert miss.json()["error"]["code"] == "storage_unavailable"
    assert miss.headers["cache-control"] == "no-store"
    storage.down = False
    assert tc.get(f"/i/{OTHER}").status_code == 200  # a 503 is not remembered as a miss


def test_image_deleted_behind_the_cache_is_rendered_again(
    client: Any, settings: config.Settings
) -> None:
    tc, _ = client
    tc.head(f"/i/{SLUG}")  # metadata cached, body not
    asyncio.run(_delete(settings, layout.image(SLUG, "png")))
    r = tc.get(f"/i/{SLUG}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert r.headers["etag"] == etag_for(r.content)
    assert asyncio.run(_exists(settings, layout.image(SLUG, "png")))  # stored for next time


def test_a_spec_that_no_longer_renders_is_a_404(client: Any, settings: config.Settings) -> None:
    tc, _ = client
    record = SpecRecord(slug=OTHER, project="p", spec={"template": "retired", "title": "x"})
    asyncio.run(_put(settings, layout.spec(OTHER), msgspec.json.encode(record)))
    assert tc.get(f"/i/{OTHER}").status_code == 404


async def _exists(settings: config.Settings, key: str) -> bool:
    from proxy.storage import ObjectNotFound, create_storage

    storage = await create_storage(settings.storage)
    try:
        await storage.head(key)
        return True
    except ObjectNotFound:
        return False
    finally:
        await storage.close()


async def _delete(settings: config.Settings, key: str) -> None:
    from proxy.storage import create_storage

    storage = await create_storage(settings.storage)
    try:
        await storage.delete(key)
    finally:
        await storage.close()


def test_rate_limit_429_with_headers(tmp_path: Path, state_env: dict[str, str]) -> None:
    settings = make_settings(tmp_path, state_env, OGEDGE_IMAGE_RATE="1", OGEDGE_IMAGE_BURST="3")
    asyncio.run(seed(settings, SLUG, png_bytes()))
    with TestClient(create_app(settings)) as tc:
        codes = [tc.get(f"/i/{SLUG}").status_code for _ in range(6)]
        assert codes[:3] == [200, 200, 200]
        assert 429 in codes[3:]
        r = tc.get(f"/i/{SLUG}")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-remaining"] == "0"
        assert int(r.headers["ratelimit-reset"]) >= 1
        assert r.json()["error"]["code"] == "rate_limited"


def test_spec_record_damage_is_a_404_not_a_500(client: Any, settings: config.Settings) -> None:
    tc, _ = client
    asyncio.run(_put(settings, layout.spec(OTHER), msgspec.json.encode({"slug": 5})))
    assert tc.get(f"/i/{OTHER}").status_code == 404


async def _put(settings: config.Settings, key: str, data: bytes) -> None:
    from proxy.storage import create_storage

    storage = await create_storage(settings.storage)
    try:
        await storage.put(key, data, "application/json")
    finally:
        await storage.close()


class MidStreamFailure(CountingStorage):
    """Image bodies: the first chunk of the real object, then a failure like a reset S3
    connection. Spec records read normally."""

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[Any]:
        async with self.inner.open(key) as (info, chunks):
            if not key.startswith("images/"):
                yield info, chunks
                return

            async def broken() -> AsyncIterator[bytes]:
                async for chunk in chunks:
                    yield chunk
                    raise StorageUnavailable("connection reset mid-body")

            yield info, broken()


async def test_mid_stream_failure_raises_after_the_start_and_never_finishes_the_body(
    settings: config.Settings, shared_state: SharedState
) -> None:
    from proxy.cache import HotCache
    from proxy.catalog import Catalog
    from proxy.fallback import NoFallback
    from proxy.metastore import MetaStore
    from proxy.storage import create_storage

    big = png_bytes(block=4)  # ~180 KB: several chunks, so the failure lands mid-body
    await seed(settings, OTHER, big)
    inner = await create_storage(settings.storage)
    storage = MidStreamFailure(inner)
    cache = HotCache(0, 1, 10, 10, 30.0)  # no hot bodies: every GET streams
    catalog = Catalog(cache, MetaStore(shared_state, 60), storage, NoFallback())  # type: ignore[arg-type]
    sent: list[dict[str, Any]] = []
    with pytest.raises(StorageUnavailable):
        await asgi_get(endpoint_for(catalog, settings, shared_state), OTHER, sent)
    await inner.close()
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 200
    assert all(m.get("more_body", False) for m in sent[1:])  # the body was never declared complete
    assert 0 < sum(len(m.get("body", b"")) for m in sent[1:]) < len(big)


async def test_a_full_render_pool_is_a_fast_503_and_hits_still_flow(
    settings: config.Settings, shared_state: SharedState
) -> None:
    from proxy.cache import HotCache
    from proxy.catalog import Catalog
    from proxy.fallback import RenderFallback
    from proxy.metastore import MetaStore
    from proxy.render_pool import RenderPool
    from proxy.slug_lock import SlugLock
    from proxy.storage import create_storage

    hot = png_bytes(seed_value=5)
    await seed(settings, SLUG, hot)
    record = SpecRecord(slug=OTHER, project="p", spec={"template": "blog", "title": "busy"})
    await _put(settings, layout.spec(OTHER), msgspec.json.encode(record))
    storage = await create_storage(settings.storage)
    pool = RenderPool(1, queue=0)
    pool.in_use = pool.slots  # every slot taken, as during a burst of renders
    fallback = RenderFallback(storage, pool, SlugLock(shared_state, 30.0), 1.0)
    meta = MetaStore(shared_state, 60)
    catalog = Catalog(HotCache(1 << 20, 1 << 20, 10, 10, 30.0), meta, storage, fallback)
    endpoint = endpoint_for(catalog, settings, shared_state)

    async def get(slug: str) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        await asgi_get(endpoint, slug, sent)
        return sent

    busy = await get(OTHER)
    assert busy[0]["status"] == 503
    assert (b"retry-after", b"1") in busy[0]["headers"]
    assert b"render_busy" in busy[1]["body"]
    assert pool.rejected == 1
    hit = await get(SLUG)
    assert hit[0]["status"] == 200
    assert hit[1]["body"] == hot
    pool.in_use = 0
    assert (await get(OTHER))[0]["status"] == 200  # renders once a slot is free
    pool.close()
    await storage.close()


def endpoint_for(catalog: Any, settings: config.Settings, state: SharedState) -> Any:
    """The hot path over `catalog`, called as ASGI without a server (for failure injection)."""
    from proxy.http.client_ip import ClientIP
    from proxy.http.delivery import DeliveryPolicy, load_crawlers
    from proxy.image import ImageEndpoint
    from proxy.limits import ImageLimiter

    limits, sync = settings.limits, settings.redis.sync_interval
    limiter = ImageLimiter.from_settings(limits.image_rate, limits.image_burst, state, sync)
    crawlers = ImageLimiter.from_settings(
        limits.crawler_rate, limits.crawler_burst, state, sync, scope="crawler"
    )
    delivery = DeliveryPolicy(settings.delivery.formats, load_crawlers())
    return ImageEndpoint(catalog, limiter, crawlers, ClientIP(()), 30.0, delivery)


async def asgi_get(endpoint: Any, slug: str, sent: list[dict[str, Any]]) -> None:
    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": f"/i/{slug}",
        "headers": [],
        "client": ("127.0.0.1", 1),
    }
    await endpoint(scope, None, send)


async def pathsend_endpoint(
    settings: config.Settings, shared_state: SharedState, storage: Any, cache: Any
) -> tuple[Any, Any, dict[str, Any], list[dict[str, Any]], Any]:
    """(endpoint, catalog, a GET scope offering pathsend, the messages sent, their `send`)."""
    from proxy.catalog import Catalog
    from proxy.fallback import NoFallback
    from proxy.metastore import MetaStore

    catalog = Catalog(cache, MetaStore(shared_state, 60), storage, NoFallback())
    scope = {
        "type": "http",
        "method": "GET",
        "path": f"/i/{OTHER}",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "extensions": {"http.response.pathsend": {}},
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return endpoint_for(catalog, settings, shared_state), catalog, scope, sent, send


async def seeded_local(settings: config.Settings, seed_value: int) -> tuple[bytes, CountingStorage]:
    """A card under OTHER on local disk, and that storage (counting its reads)."""
    from proxy.storage import create_storage

    data = png_bytes(seed_value=seed_value)
    await seed(settings, OTHER, data)
    return data, CountingStorage(await create_storage(settings.storage))


async def test_a_local_file_is_handed_to_the_server_when_it_supports_pathsend(
    settings: config.Settings, shared_state: SharedState
) -> None:
    from proxy.cache import HotCache

    data, storage = await seeded_local(settings, 9)
    cache = HotCache(0, 1, 10, 10, 30.0)  # no hot bodies: every GET reaches the file
    endpoint, _, scope, sent, send = await pathsend_endpoint(settings, shared_state, storage, cache)
    await endpoint(scope, None, send)
    assert sent[0]["status"] == 200
    assert (b"content-length", str(len(data)).encode()) in sent[0]["headers"]
    assert sent[1]["type"] == "http.response.pathsend"
    assert await asyncio.to_thread(Path(sent[1]["path"]).read_bytes) == data
    # Without the extension (or for a file of another size) the body is streamed instead.
    sent.clear()
    await endpoint({**scope, "extensions": {}}, None, send)
    assert sent[0]["type"] == "http.response.start"
    assert b"".join(m.get("body", b"") for m in sent[1:]) == data
    grown = Path(storage.local_path(layout.image(OTHER, "png")) or "")
    # A file that no longer matches what the card knows (another size).
    await asyncio.to_thread(grown.write_bytes, data + b"more")
    sent.clear()
    await endpoint(scope, None, send)
    assert all(m["type"] != "http.response.pathsend" for m in sent)
    await storage.close()


async def test_a_cards_file_is_resolved_once_not_per_request(
    settings: config.Settings, shared_state: SharedState
) -> None:
    # Resolving a key checks every path component for links out of the root (a realpath):
    # once per card, not on every hit of a working set larger than the hot cache.
    from proxy.cache import HotCache

    _, storage = await seeded_local(settings, 10)
    cache = HotCache(0, 1, 10, 10, 30.0)  # no hot bodies: every GET reaches the file
    endpoint, _, scope, sent, send = await pathsend_endpoint(settings, shared_state, storage, cache)
    for _ in range(5):
        sent.clear()
        await endpoint(scope, None, send)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert storage.paths == 1
    await storage.close()


async def test_a_file_seen_again_is_read_into_memory_and_then_served_from_it(
    settings: config.Settings, shared_state: SharedState
) -> None:
    from proxy.cache import HotCache

    data, storage = await seeded_local(settings, 11)
    cache = HotCache(50 * len(data), 10 * len(data), 10, 10, 30.0)  # a budget of 5 bodies
    endpoint, catalog, scope, sent, send = await pathsend_endpoint(
        settings, shared_state, storage, cache
    )
    answers = []
    await catalog.resolve(OTHER)  # the card is known (its lookup may read storage)
    for _ in range(3):
        sent.clear()
        opens = storage.opens
        await endpoint(scope, None, send)
        assert sent[0]["status"] == 200
        kinds = [m["type"] for m in sent[1:]]
        if kinds != ["http.response.pathsend"]:
            assert b"".join(m.get("body", b"") for m in sent[1:]) == data
        answers.append((kinds[0], storage.opens - opens))
    # First sight: the file; second: read once (and kept); third: memory, no storage read.
    assert answers == [
        ("http.response.pathsend", 0),
        ("http.response.body", 1),
        ("http.response.body", 0),
    ]
    assert cache.body(OTHER) == data
    await storage.close()
