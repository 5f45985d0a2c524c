"""Prometheus metrics. Under several Granian workers prometheus-client runs in multiprocess
mode (`PROMETHEUS_MULTIPROC_DIR`, set by `ogedge serve` before any worker starts): each worker
writes its samples to files there, and `/metrics` sums them with `MultiProcessCollector`.

Hot-path code increments children bound once at import (`IMAGE_HOT_CACHE.inc()`), never
`.labels(...)` per request.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = [
    "BREAKER_OPEN",
    "BREAKER_STATE",
    "CONTENT_TYPE_LATEST",
    "IMAGE_FALLBACK_RENDER",
    "IMAGE_HOT_CACHE",
    "IMAGE_STORAGE_READ",
    "LATENCY_BUCKETS",
    "RATE_LIMITED",
    "REQUESTS",
    "REQUEST_SECONDS",
    "ROUTES",
    "WEBHOOK_DELIVERIES",
    "WEBHOOK_FAILURES",
    "WEBHOOK_QUEUE_DEPTH",
    "RequestMeter",
    "observe_render",
    "render_latest",
    "route_of",
    "status_label",
]

ROUTES = ("image", "render", "generate", "templates", "health", "other")
# ms-scale hot path up to a slow render.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
RENDER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Statuses the service answers with; anything else is reported by class ("5xx"), so the
# label set stays bounded whatever a handler returns.
_KNOWN_STATUSES = frozenset(
    {200, 201, 202, 204, 301, 302, 304, 307, 308, 400, 401, 403, 404, 405, 409, 410, 411, 413,
     415, 422, 429, 500, 502, 503, 504}
)  # fmt: skip

REQUESTS = Counter("ogedge_requests", "HTTP requests answered", ["route", "status"])
REQUEST_SECONDS = Histogram(
    "ogedge_request_duration_seconds",
    "Time from request to the end of the response",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
RATE_LIMITED = Counter("ogedge_rate_limited", "Requests refused with 429", ["route"])
_IMAGE_SOURCE = Counter(
    "ogedge_image_source", "Where /i/ bodies came from", ["source"]
)  # hot_cache | storage | fallback_render
IMAGE_HOT_CACHE = _IMAGE_SOURCE.labels("hot_cache")
IMAGE_STORAGE_READ = _IMAGE_SOURCE.labels("storage")
IMAGE_FALLBACK_RENDER = _IMAGE_SOURCE.labels("fallback_render")
RENDER_SECONDS = Histogram(
    "ogedge_render_duration_seconds",
    "Render time by template (built-in name, or 'custom')",
    ["template"],
    buckets=RENDER_BUCKETS,
)
# Per worker; the scrape shows the worst (max) and how many live workers have it open.
BREAKER_STATE = Gauge(
    "ogedge_redis_breaker_state",
    "Redis circuit breaker: 0 closed, 1 half-open, 2 open (worst worker)",
    multiprocess_mode="livemax",
)
BREAKER_OPEN = Gauge(
    "ogedge_redis_breaker_open_workers",
    "Workers whose Redis circuit breaker is not closed",
    multiprocess_mode="livesum",
)
WEBHOOK_QUEUE_DEPTH = Gauge(
    "ogedge_webhook_queue_depth",
    "Webhook deliveries pending in the outbox (all workers)",
    multiprocess_mode="livemostrecent",
)
WEBHOOK_DELIVERIES = Counter("ogedge_webhook_deliveries", "Webhook deliveries acknowledged")
WEBHOOK_FAILURES = Counter(
    "ogedge_webhook_failures", "Webhook attempts that failed (then retried or dead-lettered)"
)


def route_of(path: str) -> str:
    if path.startswith("/i/"):
        return "image"
    if path.startswith("/api/v2/templates"):
        return "templates"
    if path == "/api/v2/render":
        return "render"
    if path == "/images/generate":
        return "generate"
    if path in ("/healthz", "/readyz"):
        return "health"
    return "other"


def status_label(status: int) -> str:
    if status in _KNOWN_STATUSES:
        return str(status)
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


class RequestMeter:
    """Pre-bound children per (route, status): one dict lookup and two increments a request."""

    def __init__(self) -> None:
        self._count: dict[tuple[str, int], Counter] = {}
        self._latency = {route: REQUEST_SECONDS.labels(route) for route in ROUTES}
        self._limited = {route: RATE_LIMITED.labels(route) for route in ROUTES}

    def observe(self, route: str, status: int, seconds: float) -> None:
        child = self._count.get((route, status))
        if child is None:
            child = self._count[(route, status)] = REQUESTS.labels(route, status_label(status))
        child.inc()
        self._latency[route].observe(seconds)
        if status == 429:
            self._limited[route].inc()


_render_children: dict[str, Histogram] = {}
_builtin_templates: frozenset[str] | None = None


def observe_render(template: str, seconds: float) -> None:
    """Render time by template; custom templates share one label so the set stays bounded."""
    global _builtin_templates
    if _builtin_templates is None:
        import renderer

        _builtin_templates = frozenset(renderer.available_templates())
    label = template if template in _builtin_templates else "custom"
    child = _render_children.get(label)
    if child is None:
        child = _render_children[label] = RENDER_SECONDS.labels(label)
    child.observe(seconds)


def render_latest() -> bytes:
    """The exposition text: every worker's samples when in multiprocess mode."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
