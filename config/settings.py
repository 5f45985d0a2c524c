"""Settings structs, one per area, with documented defaults.

Every struct is frozen: settings are read and validated once at start-up
(`config.load`), then passed around as plain values.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "CacheSettings",
    "DeliverySettings",
    "FetchSettings",
    "LimitSettings",
    "RedisSettings",
    "RenderSettings",
    "S3Settings",
    "ServerSettings",
    "Settings",
    "StorageSettings",
    "WebhookSettings",
]


class ServerSettings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    # 0 = one worker per CPU core.
    workers: int = 0
    public_url: str = "http://127.0.0.1:8000"
    # HMAC key for slugs; empty = a random per-data-dir secret is created on first start.
    secret: str = ""
    # Peers whose X-Forwarded-For is believed (CIDRs or addresses).
    trusted_proxies: tuple[str, ...] = ()
    log_level: str = "info"


class S3Settings(msgspec.Struct, frozen=True, kw_only=True):
    bucket: str = ""
    endpoint_url: str = ""
    region: str = "us-east-1"
    prefix: str = ""
    # Empty = the standard AWS chain (AWS_ACCESS_KEY_ID, profiles, instance roles).
    access_key_id: str = ""
    secret_access_key: str = ""
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    max_attempts: int = 3
    max_pool_connections: int = 64


class StorageSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Local-disk root; used when no S3 bucket is configured.
    data_dir: str = "./data"
    s3: S3Settings = S3Settings()


class RedisSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Empty = embedded: `ogedge serve` runs its own redis-server on <data_dir>/redis/redis.sock
    # (proxy/state/embedded.py) and every worker uses it.
    url: str = ""
    # The URL names one node of a Redis Cluster (every key carries a hash tag).
    cluster: bool = False
    # Prepended to every key, so several deployments can share one Redis.
    prefix: str = "ogedge"
    socket_timeout: float = 0.25
    connect_timeout: float = 0.25
    # Circuit breaker: after `breaker_failures` consecutive errors, skip Redis for `breaker_reset` s.
    breaker_failures: int = 3
    breaker_reset: float = 2.0
    # How often each worker reconciles its local /i/ limiter with Redis.
    sync_interval: float = 0.05


class LimitSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Per-client-IP GCRA on /i/: sustained requests per second and burst.
    image_rate: float = 50.0
    image_burst: int = 100
    # Social crawlers (recognised by User-Agent) get their own budget per platform and IP:
    # they share few addresses and fetch in bursts when a link spreads.
    crawler_rate: float = 200.0
    crawler_burst: int = 1000
    # Per-client-IP GCRA on POST /api/v2/preview (the public playground and editor renders).
    preview_rate: float = 5.0
    preview_burst: int = 30


class CacheSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Byte bound of the in-process hot-image LRU, per worker.
    hot_bytes: int = 128 * 1024 * 1024
    # Objects larger than this are streamed, never held in the hot cache.
    hot_item_max_bytes: int = 8 * 1024 * 1024
    # Entries in the slug -> metadata LRU.
    meta_entries: int = 100_000
    # Unknown slugs are remembered this long (also the 404's max-age).
    negative_ttl: float = 30.0
    negative_entries: int = 100_000
    # How long metadata lives in Redis (it never changes for a slug).
    redis_meta_ttl: int = 7 * 24 * 3600


class FetchSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Development and tests only: let outbound fetches reach loopback/private addresses.
    allow_private: bool = False
    # Seconds to open a TCP connection to one address.
    connect_timeout: float = 3.0
    # Seconds for a whole fetch: lookups, connects, every redirect and the body.
    total_timeout: float = 10.0
    # Redirects followed per fetch, each re-checked like the first URL.
    max_redirects: int = 3
    # Caps on decoded (decompressed) bodies: pages scraped, images fetched.
    max_page_bytes: int = 2 * 1024 * 1024
    max_image_bytes: int = 5 * 1024 * 1024
    user_agent: str = "ogedge/0.1 (+https://github.com/ogedge)"


class RenderSettings(msgspec.Struct, frozen=True, kw_only=True):
    # "process": renders run in render processes, so the event loop serving /i/ never waits
    # behind a render's Python code for the GIL; "thread": in the worker (less memory).
    mode: str = "process"
    # Render processes (or threads) per server worker; 0 = cores / workers, at least 2 when
    # there are 2 cores (proxy/render_pool.py: default_workers).
    workers: int = 0
    # Renders allowed to wait for a thread; beyond that a request gets 503 at once.
    queue: int = 16
    # How long a node waits for another node's render of the same slug before a 503.
    wait_timeout: float = 20.0


class WebhookSettings(msgspec.Struct, frozen=True, kw_only=True):
    # Development only: accept plain http:// webhook URLs (https only otherwise).
    allow_http: bool = False
    # Seconds for one delivery POST (connect, answer and body).
    timeout: float = 12.0
    # Delivery attempts before a webhook is dead-lettered (8 spans about a day).
    max_attempts: int = 8
    # Backoff before retry n is random in [0, min(retry_max_delay, retry_base * 4**(n-1))].
    retry_base: float = 15.0
    retry_max_delay: float = 12 * 3600.0
    # A claimed delivery not settled within this many seconds is delivered again
    # (the worker died); it must exceed `timeout`.
    visibility_timeout: float = 60.0
    # Seconds between queue polls when idle (an enqueue in the same worker wakes it at once).
    poll_interval: float = 1.0
    # Deliveries in flight per worker.
    concurrency: int = 16


class DeliverySettings(msgspec.Struct, frozen=True, kw_only=True):
    # Formats a browser may get instead of the stored card when its Accept lists them
    # (rendered once, kept beside it; `Vary: Accept`). Empty = always the stored card.
    formats: tuple[str, ...] = ("webp", "avif")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    server: ServerSettings = ServerSettings()
    storage: StorageSettings = StorageSettings()
    redis: RedisSettings = RedisSettings()
    limits: LimitSettings = LimitSettings()
    cache: CacheSettings = CacheSettings()
    fetch: FetchSettings = FetchSettings()
    render: RenderSettings = RenderSettings()
    delivery: DeliverySettings = DeliverySettings()
    webhooks: WebhookSettings = WebhookSettings()
