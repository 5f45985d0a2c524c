"""Semantic checks run once, after types are right: ranges, URLs, networks."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from config.names import env_name
from config.settings import Settings

__all__ = ["semantic_errors"]

_LOG_LEVELS = {"debug", "info", "warning", "error"}


def semantic_errors(s: Settings) -> list[str]:
    errors: list[str] = []

    def need(ok: bool, path: str, what: str) -> None:
        if not ok:
            errors.append(f"{env_name(path)}: expected {what}")

    need(0 < s.server.port < 65536, "server.port", "a port between 1 and 65535")
    need(0 <= s.server.workers <= 256, "server.workers", "0 (one per core) to 256")
    need(
        _http_url(s.server.public_url),
        "server.public_url",
        "an http(s) URL like https://og.example.com",
    )
    need(s.server.log_level in _LOG_LEVELS, "server.log_level", f"one of {sorted(_LOG_LEVELS)}")
    for proxy in s.server.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            errors.append(
                f"{env_name('server.trusted_proxies')}: {proxy!r} is not an address or CIDR"
            )
    need(bool(s.storage.data_dir), "storage.data_dir", "a directory path")
    s3 = s.storage.s3
    need(
        not s3.endpoint_url or _http_url(s3.endpoint_url),
        "storage.s3.endpoint_url",
        "an http(s) URL",
    )
    need(not s3.prefix.startswith("/"), "storage.s3.prefix", "a key prefix without a leading '/'")
    need(
        bool(s3.access_key_id) == bool(s3.secret_access_key),
        "storage.s3.access_key_id",
        "OGEDGE_S3_ACCESS_KEY_ID and OGEDGE_S3_SECRET_ACCESS_KEY set together",
    )
    need(s3.connect_timeout > 0, "storage.s3.connect_timeout", "seconds > 0")
    need(s3.read_timeout > 0, "storage.s3.read_timeout", "seconds > 0")
    need(1 <= s3.max_attempts <= 10, "storage.s3.max_attempts", "1 to 10")
    need(s3.max_pool_connections >= 1, "storage.s3.max_pool_connections", "at least 1")
    r = s.redis
    need(
        not r.url or urlsplit(r.url).scheme in {"redis", "rediss", "unix"},
        "redis.url",
        "a redis://, rediss:// or unix:// URL",
    )
    need(
        re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", r.prefix) is not None,
        "redis.prefix",
        "1-32 letters, digits, '_', '.' or '-'",
    )
    need(
        not r.cluster or urlsplit(r.url).scheme in {"redis", "rediss"},
        "redis.cluster",
        "OGEDGE_REDIS_URL naming a cluster node as redis:// or rediss:// (the embedded Redis "
        "and unix sockets are single nodes)",
    )
    need(
        not r.cluster or urlsplit(r.url).path in {"", "/", "/0"},
        "redis.url",
        "database 0 in cluster mode (a cluster has no other)",
    )
    need(r.socket_timeout > 0, "redis.socket_timeout", "seconds > 0")
    need(r.connect_timeout > 0, "redis.connect_timeout", "seconds > 0")
    need(r.breaker_failures >= 1, "redis.breaker_failures", "at least 1")
    need(r.breaker_reset > 0, "redis.breaker_reset", "seconds > 0")
    need(0 < r.sync_interval <= 5, "redis.sync_interval", "seconds in (0, 5]")
    need(s.limits.image_rate > 0, "limits.image_rate", "requests per second > 0")
    need(s.limits.image_burst >= 1, "limits.image_burst", "at least 1")
    need(s.limits.crawler_rate > 0, "limits.crawler_rate", "requests per second > 0")
    need(s.limits.crawler_burst >= 1, "limits.crawler_burst", "at least 1")
    need(
        set(s.delivery.formats) <= {"webp", "avif"},
        "delivery.formats",
        "a comma-separated list of webp and avif (or empty)",
    )
    need(s.limits.preview_rate > 0, "limits.preview_rate", "requests per second > 0")
    need(s.limits.preview_burst >= 1, "limits.preview_burst", "at least 1")
    c = s.cache
    need(c.hot_bytes >= 0, "cache.hot_bytes", "bytes >= 0 (0 disables the hot cache)")
    need(c.hot_item_max_bytes > 0, "cache.hot_item_max_bytes", "bytes > 0")
    need(c.meta_entries >= 1, "cache.meta_entries", "at least 1")
    need(c.negative_ttl > 0, "cache.negative_ttl", "seconds > 0")
    need(c.negative_entries >= 1, "cache.negative_entries", "at least 1")
    need(c.redis_meta_ttl >= 1, "cache.redis_meta_ttl", "seconds >= 1")
    f = s.fetch
    need(0 < f.connect_timeout <= 60, "fetch.connect_timeout", "seconds in (0, 60]")
    need(0 < f.total_timeout <= 300, "fetch.total_timeout", "seconds in (0, 300]")
    need(0 <= f.max_redirects <= 10, "fetch.max_redirects", "0 to 10")
    need(f.max_page_bytes >= 1024, "fetch.max_page_bytes", "bytes >= 1024")
    need(f.max_image_bytes >= 1024, "fetch.max_image_bytes", "bytes >= 1024")
    need(
        bool(f.user_agent) and f.user_agent.isprintable() and f.user_agent.isascii(),
        "fetch.user_agent",
        "a non-empty printable ASCII string",
    )
    rn = s.render
    need(rn.mode in ("process", "thread"), "render.mode", "process or thread")
    need(0 <= rn.workers <= 64, "render.workers", "0 (cores / workers) to 64")
    need(0 <= rn.queue <= 10_000, "render.queue", "0 to 10000")
    need(rn.wait_timeout > 0, "render.wait_timeout", "seconds > 0")
    w = s.webhooks
    need(0 < w.timeout <= 60, "webhooks.timeout", "seconds in (0, 60]")
    need(1 <= w.max_attempts <= 50, "webhooks.max_attempts", "1 to 50")
    need(w.retry_base > 0, "webhooks.retry_base", "seconds > 0")
    need(
        w.retry_max_delay >= w.retry_base,
        "webhooks.retry_max_delay",
        "seconds >= OGEDGE_WEBHOOK_RETRY_BASE",
    )
    # A lease shorter than one POST would hand a delivery to a second worker mid-flight.
    need(
        w.visibility_timeout > w.timeout,
        "webhooks.visibility_timeout",
        "seconds > OGEDGE_WEBHOOK_TIMEOUT",
    )
    need(0 < w.poll_interval <= 60, "webhooks.poll_interval", "seconds in (0, 60]")
    need(1 <= w.concurrency <= 1000, "webhooks.concurrency", "1 to 1000")
    return errors


def _http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
