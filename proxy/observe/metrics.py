"""Prometheus metrics. Under several Granian workers prometheus-client runs in multiprocess
mode (`PROMETHEUS_MULTIPROC_DIR`, set by `ogedge serve` before any worker starts): each worker
writes its samples to files there, and `/metrics` sums them with `MultiProcessCollector`.

Hot-path code increments children bound once at import (`IMAGE_HOT_CACHE.inc()`), never
`.labels(...)` per request.
"""

from __future__ import annotations

import os
from bisect import bisect_left

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
    "IMAGE_FILE_SENT",
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
    "Tally",
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


class Tally:
    """A counter for the hot path: `inc()` adds to a plain int; `RequestMeter.flush()` folds it
    into the Prometheus child (in multiprocess mode each real increment is an mmap write)."""

    __slots__ = ("child", "n")

    def __init__(self, child: Counter) -> None:
        self.child = child
        self.n = 0
        _TALLIES.append(self)

    def inc(self) -> None:
        self.n += 1

    def flush(self) -> None:
        n, self.n = self.n, 0
        if n:
            self.child.inc(n)


_TALLIES: list[Tally] = []
IMAGE_HOT_CACHE = Tally(_IMAGE_SOURCE.labels("hot_cache"))
IMAGE_STORAGE_READ = Tally(_IMAGE_SOURCE.labels("storage"))
IMAGE_FILE_SENT = Tally(_IMAGE_SOURCE.labels("file"))  # local disk, sent by the server itself
IMAGE_FALLBACK_RENDER = Tally(_IMAGE_SOURCE.labels("fallback_render"))
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
    """Per request: plain Python arithmetic (no lock, no mmap write). `flush()` folds the counts
    into the Prometheus metrics: every second from the sampler, on each scrape, at shutdown."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        # Per route: [sum of seconds, count per bucket (LATENCY_BUCKETS, then +Inf)].
        self._hist = {route: [0.0] * (len(LATENCY_BUCKETS) + 2) for route in ROUTES}
        self._children: dict[tuple[str, int], Counter] = {}
        self._latency = {route: REQUEST_SECONDS.labels(route) for route in ROUTES}
        self._limited = {route: RATE_LIMITED.labels(route) for route in ROUTES}

    def observe(self, route: str, status: int, seconds: float) -> None:
        key = (route, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        hist = self._hist[route]
        hist[0] += seconds
        hist[1 + bisect_left(LATENCY_BUCKETS, seconds)] += 1  # first bucket with le >= seconds

    def flush(self) -> None:
        counts, self._counts = self._counts, {}
        for key, n in counts.items():
            child = self._children.get(key)
            if child is None:
                child = self._children[key] = REQUESTS.labels(key[0], status_label(key[1]))
            child.inc(n)
            if key[1] == 429:
                self._limited[key[0]].inc(n)
        for route, hist in self._hist.items():
            if hist[0] == 0.0 and not any(hist):
                continue
            histogram = self._latency[route]
            # Histogram has no "observe n times": add to its sum and buckets as observe() does.
            histogram._sum.inc(hist[0])
            for i, seen in enumerate(hist[1:]):
                if seen:
                    histogram._buckets[i].inc(seen)
            hist[:] = [0.0] * len(hist)
        for tally in _TALLIES:
            tally.flush()


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
