"""Everything a worker opens once and closes on shutdown: storage client, Redis pool, caches,
limiter. Chosen by configuration here, so nothing later branches on settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from config import Settings
from proxy.api.assets import AssetResolver
from proxy.api.custom_templates import CustomTemplates
from proxy.api.key_limits import KeyLimiter, LocalKeyLimiter, RedisKeyLimiter
from proxy.api.quota import LocalQuota, Quotas, RedisQuota
from proxy.api.runtime import ApiRuntime
from proxy.cache import HotCache
from proxy.catalog import Catalog
from proxy.fallback import RenderFallback
from proxy.keys import Authenticator, KeyRegistry
from proxy.limits import CircuitBreaker, ImageLimiter, RedisGCRA
from proxy.metastore import MetaStore, NoMetaStore, RedisMetaStore
from proxy.netguard import GuardedClient
from proxy.render_pool import RenderPool
from proxy.slug_lock import LocalSlugLock, RedisSlugLock, SlugLock
from proxy.slugs import Revisions, load_secret
from proxy.storage import Storage, create_storage
from proxy.webhooks import Dispatcher, LocalOutbox, RedisOutbox

__all__ = ["Runtime", "open_runtime"]

log = logging.getLogger("ogedge")


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    storage: Storage
    redis: Redis | None
    breaker: CircuitBreaker
    limiter: ImageLimiter
    catalog: Catalog
    pool: RenderPool
    fallback: RenderFallback
    api: ApiRuntime
    dispatcher: Dispatcher  # webhook delivery; its stats and queue depth feed /metrics


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with AsyncExitStack() as stack:
        storage = await create_storage(settings.storage)
        stack.push_async_callback(storage.close)
        rs = settings.redis
        breaker = CircuitBreaker(rs.breaker_failures, rs.breaker_reset)
        redis: Redis | None = None
        metastore: MetaStore = NoMetaStore()
        slug_lock: SlugLock = LocalSlugLock()
        if rs.url:
            # Short explicit timeouts: a dead or frozen Redis must cost milliseconds, not seconds.
            redis = Redis.from_url(
                rs.url,
                socket_timeout=rs.socket_timeout,
                socket_connect_timeout=rs.connect_timeout,
                health_check_interval=30,
            )
            stack.push_async_callback(redis.aclose)
            metastore = RedisMetaStore(
                redis, breaker, settings.cache.redis_meta_ttl, rs.socket_timeout
            )
            # The lock outlives any sane render; a crashed owner's lock expires by itself.
            lock_ttl = max(30.0, settings.render.wait_timeout)
            slug_lock = RedisSlugLock(redis, breaker, lock_ttl, rs.socket_timeout)
        limiter = ImageLimiter.from_settings(settings.limits, rs, redis, breaker)
        limiter.start()
        stack.push_async_callback(limiter.stop)
        c = settings.cache
        cache = HotCache(
            c.hot_bytes, c.hot_item_max_bytes, c.meta_entries, c.negative_entries, c.negative_ttl
        )
        pool = RenderPool(settings.render.threads, settings.render.queue)
        stack.callback(pool.close)
        fallback = RenderFallback(storage, pool, slug_lock, settings.render.wait_timeout)
        catalog = Catalog(cache, metastore, storage, fallback)
        api, dispatcher = await _open_api(stack, settings, storage, redis, breaker, catalog, pool)
        log.info("ready: storage=%s redis=%s", storage.name, "on" if redis else "off")
        yield Runtime(
            settings, storage, redis, breaker, limiter, catalog, pool, fallback, api, dispatcher
        )


async def _open_api(
    stack: AsyncExitStack,
    settings: Settings,
    storage: Storage,
    redis: Redis | None,
    breaker: CircuitBreaker,
    catalog: Catalog,
    pool: RenderPool,
) -> tuple[ApiRuntime, Dispatcher]:
    client = await GuardedClient.create(settings.fetch)
    stack.push_async_callback(client.close)
    key_limits: KeyLimiter = LocalKeyLimiter()
    quotas: Quotas = LocalQuota()
    outbox: RedisOutbox | LocalOutbox = LocalOutbox()
    if redis is not None:
        timeout = settings.redis.socket_timeout
        key_limits = RedisKeyLimiter(RedisGCRA(redis, breaker, timeout))
        quotas = RedisQuota(redis, breaker, timeout)
        # Durable: a restart or a crashed worker loses no delivery.
        outbox = RedisOutbox(redis, timeout=max(timeout, 1.0))
    dispatcher = Dispatcher(outbox, client, settings.webhooks)
    dispatcher.start()
    stack.push_async_callback(dispatcher.stop)  # undelivered items stay queued
    api = ApiRuntime(
        public_url=settings.server.public_url,
        secret=await load_secret(settings.server.secret, storage),
        storage=storage,
        catalog=catalog,
        pool=pool,
        auth=Authenticator(KeyRegistry(storage)),
        key_limits=key_limits,
        quotas=quotas,
        revisions=Revisions(storage),
        assets=AssetResolver(client, storage, settings.fetch.max_image_bytes),
        max_page_bytes=settings.fetch.max_page_bytes,
        outbox=outbox,
        webhook_allow_http=settings.webhooks.allow_http,
        templates=CustomTemplates(storage),
    )
    return api, dispatcher
