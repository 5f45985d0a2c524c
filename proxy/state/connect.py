"""The one place that turns ogedge's Redis URL into a client: one server or a Redis Cluster.

A deployment selects cluster mode explicitly, with the boolean setting `redis.cluster`
(`OGEDGE_REDIS_CLUSTER=true`), next to the unchanged `redis.url`. The URL keeps the standard
schemes (`redis://`, `rediss://`, and `unix://` for one server), so the same URL works with
redis-cli and `ogedge doctor`. Nothing is guessed: a single-node client pointed at a cluster
gets MOVED for two keys in three, and a cluster client pointed at one server fails to start.

Both clients share the short timeouts (a dead or frozen Redis must cost milliseconds) and a
30 s health check on idle connections. Cluster specifics, each verified against a real
3-master cluster in tests/unit/state/:

- The URL names one startup node; the client reads the slot map from it (CLUSTER SLOTS) on
  its first command and then knows every master. A cluster has only db 0 and no unix
  sockets: either in the URL is a ValueError here.
- `retry` is one immediate retry. The cluster client retries connection errors, timeouts and
  CLUSTERDOWN after re-reading the slot map; redis-py's default of 10 retries (sleeping
  0.25 s before each after CLUSTERDOWN) turns a frozen master into ~3 s per call and ~6 s
  per pipeline. One retry still follows a failover (the first call after it fails on the old
  master, re-reads the slot map and reaches the new one); anything longer is the breaker's
  business. The single-node client keeps redis-py's defaults, as before this module.
- `require_full_coverage` stays True: a cluster with unassigned slots is misconfigured and
  the client refuses it rather than failing for some keys. Reads stay on primaries (no
  `read_from_replicas` / `load_balancing_strategy`): limits, quotas and locks must read
  their own writes.
"""

from __future__ import annotations

from typing import TypeAlias

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisClusterException

__all__ = ["CLUSTER_RETRIES", "HEALTH_CHECK_INTERVAL", "StateClient", "connect"]

StateClient: TypeAlias = Redis | RedisCluster

# Seconds a pooled connection may sit idle before its next use is preceded by a PING.
HEALTH_CHECK_INTERVAL = 30
# Immediate retries of a cluster command after a connection error, timeout or CLUSTERDOWN.
CLUSTER_RETRIES = 1


def connect(
    url: str, *, cluster: bool, socket_timeout: float, connect_timeout: float
) -> StateClient:
    """A client for `url`, a Redis Cluster when `cluster` is true. Connects lazily: nothing
    is contacted until the first command, so this never fails because Redis is down."""
    if not cluster:
        return Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            health_check_interval=HEALTH_CHECK_INTERVAL,
        )
    try:
        return RedisCluster.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
            health_check_interval=HEALTH_CHECK_INTERVAL,
            retry=Retry(NoBackoff(), CLUSTER_RETRIES),
        )
    except RedisClusterException as exc:
        # "Argument 'db' must be 0", "Unix domain socket is not supported in cluster mode".
        raise ValueError(f"not a Redis Cluster URL: {exc}") from exc
