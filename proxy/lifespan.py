"""Everything a worker opens once and closes on shutdown, wired here and only here: storage,
the shared state (Redis), caches, limiter, render pool, outbound client, the services the
handlers use. Backends are chosen by configuration inside `create_storage` and `open_state`,
so nothing later branches on settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from config import Settings
from proxy.assets import AssetResolver
from proxy.cache import HotCache
from proxy.cards import Cards
from proxy.catalog import Catalog
from proxy.check import PageChecker
from proxy.custom_templates import CustomTemplates
from proxy.fallback import RenderFallback
from proxy.keys import Authenticator, KeyRegistry
from proxy.limits import ImageLimiter, KeyLimiter, RedisGCRA
from proxy.metastore import MetaStore
from proxy.netguard import GuardedClient
from proxy.pages import PageReader
from proxy.quotas import Quotas
from proxy.render_pool import RenderPool
from proxy.secret import load_secret
from proxy.slug_lock import SlugLock
from proxy.slugs import Revisions
from proxy.state import SharedState
from proxy.state.open import open_state
from proxy.storage import Storage, create_storage
from proxy.webhooks import Dispatcher, Outbox
from proxy.webhooks.notify import Notifier

__all__ = ["Services", "open_services"]

log = logging.getLogger("ogedge")


@dataclass(frozen=True, slots=True)
class Services:
    """What one worker opened; handlers receive the parts they use (app.py's dependencies)."""

    settings: Settings
    storage: Storage
    state: SharedState
    limiter: ImageLimiter
    catalog: Catalog
    pool: RenderPool
    auth: Authenticator
    key_limits: KeyLimiter
    quotas: Quotas
    cards: Cards
    templates: CustomTemplates
    assets: AssetResolver
    pages: PageReader
    outbox: Outbox
    notifier: Notifier
    dispatcher: Dispatcher  # webhook delivery; its stats and queue depth feed /metrics
    checker: PageChecker  # GET /api/v2/check

    @property
    def public_url(self) -> str:
        return self.settings.server.public_url


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        storage = await create_storage(settings.storage)
        stack.push_async_callback(storage.close)
        state = await open_state(settings)
        stack.push_async_callback(state.close)

        limiter = ImageLimiter.from_settings(settings.limits, state, settings.redis.sync_interval)
        limiter.start()
        stack.push_async_callback(limiter.stop)
        c = settings.cache
        cache = HotCache(
            c.hot_bytes, c.hot_item_max_bytes, c.meta_entries, c.negative_entries, c.negative_ttl
        )
        pool = RenderPool(settings.render.threads, settings.render.queue)
        stack.callback(pool.close)
        # The lock outlives any sane render; a crashed owner's lock expires by itself.
        lock = SlugLock(state, max(30.0, settings.render.wait_timeout))
        fallback = RenderFallback(storage, pool, lock, settings.render.wait_timeout)
        catalog = Catalog(cache, MetaStore(state, c.redis_meta_ttl), storage, fallback)

        client = await GuardedClient.create(settings.fetch)
        stack.push_async_callback(client.close)
        outbox = Outbox(state)
        dispatcher = Dispatcher(outbox, client, settings.webhooks)
        dispatcher.start()
        stack.push_async_callback(dispatcher.stop)  # undelivered items stay queued

        registry = KeyRegistry(storage)
        auth = Authenticator(registry)
        quotas = Quotas(state)
        cards = Cards(
            storage=storage,
            catalog=catalog,
            pool=pool,
            quotas=quotas,
            quota_of=auth.project_quota,
            revisions=Revisions(storage),
            lock=lock,
            secret=await load_secret(settings.server.secret, storage),
            public_url=settings.server.public_url,
            wait_timeout=settings.render.wait_timeout,
        )
        services = Services(
            settings=settings,
            storage=storage,
            state=state,
            limiter=limiter,
            catalog=catalog,
            pool=pool,
            auth=auth,
            key_limits=KeyLimiter(RedisGCRA(state)),
            quotas=quotas,
            cards=cards,
            templates=CustomTemplates(storage),
            assets=AssetResolver(client, storage, settings.fetch.max_image_bytes),
            pages=PageReader(client, settings.fetch.max_page_bytes),
            outbox=outbox,
            notifier=Notifier(
                outbox, allow_http=settings.webhooks.allow_http, policy=client.policy
            ),
            dispatcher=dispatcher,
            checker=PageChecker(client, settings.fetch.max_page_bytes),
        )
        log.info("ready: storage=%s redis=%s (%s)", storage.name, state.mode, state.location)
        yield services
