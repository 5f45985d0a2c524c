"""Everything a worker opens once and closes on shutdown, wired here and only here: storage,
the shared state (Redis), caches, limiter, render pool, outbound client, the services the
handlers use. Backends are chosen by configuration inside `create_storage` and `open_state`,
so nothing later branches on settings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from config import Settings
from proxy.assets import AssetResolver
from proxy.cache import HotCache
from proxy.cards import Cards
from proxy.catalog import Catalog
from proxy.check import PageChecker
from proxy.closing import bounded
from proxy.console import Console
from proxy.custom_templates import CustomTemplates
from proxy.domains import AllowedDomains
from proxy.fallback import RenderFallback
from proxy.field_cards import FieldCards
from proxy.http.client_ip import ClientIP
from proxy.http.delivery import DeliveryPolicy, load_crawlers
from proxy.keys import Authenticator, KeyRegistry
from proxy.limits import PREVIEW_SCOPE, ImageLimiter, KeyLimiter, RedisGCRA
from proxy.metastore import MetaStore
from proxy.netguard import GuardedClient
from proxy.og_links import OgLinks
from proxy.page_cards import PageCards
from proxy.pages import PageReader
from proxy.previews import Previews
from proxy.quotas import Quotas
from proxy.render_pool import RenderPool, default_workers
from proxy.secret import load_secret
from proxy.signing import SigningKeys, Verifier
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
    crawler_limiter: ImageLimiter
    delivery: DeliveryPolicy
    catalog: Catalog
    pool: RenderPool
    auth: Authenticator
    key_limits: KeyLimiter
    quotas: Quotas
    cards: Cards
    field_cards: FieldCards
    page_cards: PageCards
    templates: CustomTemplates
    assets: AssetResolver
    signing_keys: SigningKeys
    verifier: Verifier
    domains: AllowedDomains
    og_links: OgLinks
    outbox: Outbox
    notifier: Notifier
    dispatcher: Dispatcher  # webhook delivery; its stats and queue depth feed /metrics
    previews: Previews  # renders that are never stored (playground, editor, gallery)
    console: Console  # a project's cards, usage and deliveries
    checker: PageChecker  # GET /api/v2/check

    @property
    def public_url(self) -> str:
        return self.settings.server.public_url


# A shutdown step that does not finish within this is abandoned (and logged), so a stuck
# close can never keep a worker from exiting.
def _in_thread(close: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    # The render pool waits for renders in flight: in a thread, so the loop stays free.
    return lambda: asyncio.to_thread(close)


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        storage = await create_storage(settings.storage)
        stack.push_async_callback(bounded, storage.close, "storage")
        state = await open_state(settings)
        stack.push_async_callback(bounded, state.close, "redis")

        limits = settings.limits
        sync = settings.redis.sync_interval
        limiter = ImageLimiter.from_settings(limits.image_rate, limits.image_burst, state, sync)
        crawler_limiter = ImageLimiter.from_settings(
            limits.crawler_rate, limits.crawler_burst, state, sync, scope="crawler"
        )
        for each in (limiter, crawler_limiter):
            each.start()
            stack.push_async_callback(bounded, each.stop, "limiter")
        delivery = DeliveryPolicy(settings.delivery.formats, load_crawlers())
        c = settings.cache
        cache = HotCache(
            c.hot_bytes,
            c.hot_item_max_bytes,
            c.meta_entries,
            c.negative_entries,
            c.negative_ttl,
            vary_accept=delivery.negotiates,
        )
        rn = settings.render
        pool = RenderPool(
            rn.workers or default_workers(settings.server.workers),
            rn.queue,
            processes=rn.mode == "process",
        )
        stack.push_async_callback(bounded, _in_thread(pool.close), "render pool")
        await pool.warm()
        # The lock outlives any sane render; a crashed owner's lock expires by itself.
        lock = SlugLock(state, max(30.0, settings.render.wait_timeout))
        fallback = RenderFallback(storage, pool, lock, settings.render.wait_timeout)
        catalog = Catalog(cache, MetaStore(state, c.redis_meta_ttl), storage, fallback)

        client = await GuardedClient.create(settings.fetch)
        stack.push_async_callback(bounded, client.close, "outbound client")
        outbox = Outbox(state)
        dispatcher = Dispatcher(outbox, client, settings.webhooks)
        dispatcher.start()
        # Undelivered items stay queued.
        stack.push_async_callback(bounded, dispatcher.stop, "webhook dispatcher")

        preview_limiter = ImageLimiter.from_settings(
            limits.preview_rate, limits.preview_burst, state, sync, scope=PREVIEW_SCOPE
        )
        preview_limiter.start()
        stack.push_async_callback(bounded, preview_limiter.stop, "limiter")

        registry = KeyRegistry(storage)
        auth = Authenticator(registry)
        quotas = Quotas(state)
        secret = await load_secret(settings.server.secret, storage)
        cards = Cards(
            storage=storage,
            catalog=catalog,
            pool=pool,
            quotas=quotas,
            quota_of=auth.project_quota,
            revisions=Revisions(storage),
            lock=lock,
            secret=secret,
            public_url=settings.server.public_url,
            wait_timeout=settings.render.wait_timeout,
        )
        templates = CustomTemplates(storage)
        assets = AssetResolver(client, storage, settings.fetch.max_image_bytes)
        signing_keys = SigningKeys(storage, secret)
        field_cards = FieldCards(cards, templates, assets)
        page_cards = PageCards(cards, PageReader(client, settings.fetch.max_page_bytes), assets)
        verifier = Verifier(signing_keys)
        domains = AllowedDomains(storage)
        client_ip = ClientIP(settings.server.trusted_proxies)
        services = Services(
            settings=settings,
            storage=storage,
            state=state,
            limiter=limiter,
            crawler_limiter=crawler_limiter,
            delivery=delivery,
            catalog=catalog,
            pool=pool,
            auth=auth,
            key_limits=KeyLimiter(RedisGCRA(state)),
            quotas=quotas,
            cards=cards,
            field_cards=field_cards,
            page_cards=page_cards,
            templates=templates,
            assets=assets,
            signing_keys=signing_keys,
            verifier=verifier,
            domains=domains,
            og_links=OgLinks(field_cards, page_cards, verifier, domains),
            outbox=outbox,
            notifier=Notifier(
                outbox, allow_http=settings.webhooks.allow_http, policy=client.policy
            ),
            dispatcher=dispatcher,
            previews=Previews(pool, templates, assets, preview_limiter, client_ip),
            console=Console(cards, catalog, storage, quotas, outbox),
            checker=PageChecker(client, settings.fetch.max_page_bytes),
        )
        log.info("ready: storage=%s redis=%s (%s)", storage.name, state.mode, state.location)
        yield services
