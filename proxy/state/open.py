"""Open the shared state of one worker: the only place that decides which Redis is used.

No OGEDGE_REDIS_URL: the embedded server that `ogedge serve` started under the data directory
(unix socket; it must be answering, since nothing else will start it). A URL: that server, a
single node or (OGEDGE_REDIS_CLUSTER) a Redis Cluster.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from config.settings import RedisSettings, Settings
from proxy.state.breaker import CircuitBreaker
from proxy.state.connect import StateClient, connect
from proxy.state.embedded import EmbeddedRedis, embedded_socket, embedded_url
from proxy.state.shared import SharedState

__all__ = ["EmbeddedRedisMissing", "local_server", "open_state"]

log = logging.getLogger("ogedge.state")
_PROBE_TIMEOUT = 2.0


class EmbeddedRedisMissing(RuntimeError):
    """No OGEDGE_REDIS_URL and nothing answers on the embedded socket."""


def _client(rs: RedisSettings, url: str, cluster: bool = False) -> StateClient:
    # Short explicit timeouts: a dead or frozen Redis must cost milliseconds, not seconds.
    return connect(
        url, cluster=cluster, socket_timeout=rs.socket_timeout, connect_timeout=rs.connect_timeout
    )


def local_server(settings: Settings) -> EmbeddedRedis | None:
    """The Redis this node runs itself (`ogedge serve` starts it before the workers): the
    embedded server when no URL is set, else None. Raises RedisNotInstalled, EmbeddedRedisError."""
    if settings.redis.url:
        return None
    return EmbeddedRedis(settings.storage.data_dir)


async def open_state(settings: Settings) -> SharedState:
    rs = settings.redis
    breaker = CircuitBreaker(rs.breaker_failures, rs.breaker_reset)
    if rs.url:
        parts = urlsplit(rs.url)
        location = (
            parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
        )
        return SharedState(
            _client(rs, rs.url, rs.cluster),
            breaker,
            timeout=rs.socket_timeout,
            prefix=rs.prefix,
            mode="external",
            location=location,
        )
    socket = embedded_socket(settings.storage.data_dir)
    state = SharedState(
        _client(rs, embedded_url(settings.storage.data_dir)),
        breaker,
        timeout=rs.socket_timeout,
        prefix=rs.prefix,
        mode="embedded",
        location=str(socket),
    )
    try:
        await state.ping(_PROBE_TIMEOUT)
    except Exception as exc:
        await state.close()
        raise EmbeddedRedisMissing(
            f"no Redis answers on {socket}: `ogedge serve` starts one there when "
            "OGEDGE_REDIS_URL is not set; when running the app another way, start it with "
            f"`ogedge serve` or set OGEDGE_REDIS_URL ({exc!r})"
        ) from exc
    return state
