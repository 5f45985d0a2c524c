"""The metrics registry: bounded labels, pre-bound children, and multiprocess aggregation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from proxy.observe import metrics
from proxy.observe.multiproc import VAR, multiproc_dir


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/i/AbCdEfGh1234", "image"),
        ("/api/v2/render", "render"),
        ("/images/generate", "generate"),
        ("/api/v2/templates", "templates"),
        ("/api/v2/templates/x/preview.png", "templates"),
        ("/healthz", "health"),
        ("/readyz", "health"),
        ("/metrics", "other"),
        ("/anything/else/%00", "other"),
    ],
)
def test_route_of(path: str, route: str) -> None:
    assert metrics.route_of(path) == route
    assert route in metrics.ROUTES


def test_status_labels_are_bounded() -> None:
    assert metrics.status_label(200) == "200"
    assert metrics.status_label(429) == "429"
    assert metrics.status_label(418) == "4xx"
    assert metrics.status_label(599) == "5xx"
    assert metrics.status_label(999) == "other"
    labels = {metrics.status_label(s) for s in range(0, 1000)}
    assert len(labels) < 40


def test_meter_counts_requests_latency_and_rate_limits() -> None:
    meter = metrics.RequestMeter()
    before = _value("ogedge_requests_total", route="image", status="200")
    hist = _value("ogedge_request_duration_seconds_count", route="image")
    fast = _value("ogedge_request_duration_seconds_bucket", route="image", le="0.001")
    limited = _value("ogedge_rate_limited_total", route="image")
    meter.observe("image", 200, 0.0004)
    meter.observe("image", 200, 0.002)
    meter.observe("image", 429, 0.0001)
    meter.observe("image", 200, 5.0)  # beyond the last bucket: +Inf
    assert _value("ogedge_requests_total", route="image", status="200") == before  # batched
    meter.flush()
    assert _value("ogedge_requests_total", route="image", status="200") == before + 3
    assert _value("ogedge_request_duration_seconds_count", route="image") == hist + 4
    assert _value("ogedge_request_duration_seconds_bucket", route="image", le="1.0") == hist + 3
    assert _value("ogedge_request_duration_seconds_bucket", route="image", le="0.001") == fast + 2
    assert _value("ogedge_rate_limited_total", route="image") == limited + 1
    meter.flush()  # nothing new: nothing added twice
    assert _value("ogedge_request_duration_seconds_count", route="image") == hist + 4


def test_tally_is_folded_in_on_flush() -> None:
    before = _value("ogedge_image_source_total", source="hot_cache")
    for _ in range(5):
        metrics.IMAGE_HOT_CACHE.inc()
    assert _value("ogedge_image_source_total", source="hot_cache") == before
    metrics.RequestMeter().flush()
    assert _value("ogedge_image_source_total", source="hot_cache") == before + 5


def test_render_histogram_labels_custom_templates_as_one() -> None:
    before = _value("ogedge_render_duration_seconds_count", template="custom")
    blog = _value("ogedge_render_duration_seconds_count", template="blog")
    metrics.observe_render("my-own-template-1", 0.05)
    metrics.observe_render("my-own-template-2", 0.05)
    metrics.observe_render("blog", 0.05)
    assert _value("ogedge_render_duration_seconds_count", template="custom") == before + 2
    assert _value("ogedge_render_duration_seconds_count", template="blog") == blog + 1


def test_render_latest_in_process_mode_lists_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VAR, raising=False)
    text = metrics.render_latest().decode()
    for name in (
        "ogedge_requests_total",
        "ogedge_request_duration_seconds_bucket",
        "ogedge_image_source_total",
        "ogedge_redis_breaker_state",
        "ogedge_webhook_queue_depth",
        "ogedge_webhook_deliveries_total",
        "ogedge_webhook_failures_total",
    ):
        assert name in text


def test_multiproc_dir_is_fresh(tmp_path: Path) -> None:
    given = tmp_path / "m"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"stale")
    (given / "keep.txt").write_text("not ours")
    env = {VAR: str(given)}
    assert multiproc_dir(env) == given
    assert not (given / "counter_1.db").exists()
    assert (given / "keep.txt").exists()
    env = {}
    made = multiproc_dir(env)
    assert made.is_dir() and env[VAR] == str(made)
    made.rmdir()


_WORKER = """
from proxy.observe import metrics
for _ in range({n}):
    metrics.IMAGE_HOT_CACHE.inc()
meter = metrics.RequestMeter()
for _ in range({n}):
    meter.observe("image", 200, 0.001)
meter.flush()
metrics.BREAKER_STATE.set({state})
"""
_SCRAPE = "import sys; from proxy.observe import metrics; sys.stdout.write(metrics.render_latest().decode())"


def test_multiprocess_collector_sums_workers(tmp_path: Path) -> None:
    """Two worker processes write their samples; a third process's scrape sums them."""
    env = {**os.environ, VAR: str(tmp_path)}
    for n, state in ((3, 0), (4, 2)):
        code = _WORKER.format(n=n, state=state)
        subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    out = subprocess.run(
        [sys.executable, "-c", _SCRAPE], env=env, check=True, timeout=60, capture_output=True
    ).stdout.decode()
    lines = dict(
        line.rsplit(" ", 1) for line in out.splitlines() if line and not line.startswith("#")
    )
    assert float(lines['ogedge_image_source_total{source="hot_cache"}']) == 7
    assert float(lines['ogedge_requests_total{route="image",status="200"}']) == 7
    assert float(lines['ogedge_request_duration_seconds_count{route="image"}']) == 7
    # livemax: the worst worker, over processes still alive (none here is "dead": not marked).
    assert float(lines["ogedge_redis_breaker_state"]) == 2


class _Dispatcher:
    def __init__(self) -> None:
        from proxy.webhooks import DispatchStats

        self.stats = DispatchStats()
        self.queued = 7

    async def depth(self) -> int:
        return self.queued


async def test_sampler_reads_breaker_and_dispatcher() -> None:
    from proxy.observe.sampler import Sampler
    from proxy.state import CircuitBreaker

    now = [0.0]
    breaker = CircuitBreaker(1, 10.0, clock=lambda: now[0])
    dispatcher = _Dispatcher()
    flushed: list[int] = []
    sampler = Sampler(breaker, dispatcher, lambda: flushed.append(1))  # type: ignore[arg-type]
    delivered = _value("ogedge_webhook_deliveries_total")
    failed = _value("ogedge_webhook_failures_total")
    sampler.sample()
    assert _value("ogedge_redis_breaker_state") == 0
    breaker.failure()
    dispatcher.stats.delivered += 3
    dispatcher.stats.failed += 1
    sampler.sample()
    assert _value("ogedge_redis_breaker_state") == 2
    assert _value("ogedge_redis_breaker_open_workers") == 1
    now[0] = 11.0
    sampler.sample()
    assert _value("ogedge_redis_breaker_state") == 1  # half-open: the probe is due
    sampler.sample()  # counters are deltas: nothing added twice
    assert _value("ogedge_webhook_deliveries_total") == delivered + 3
    assert _value("ogedge_webhook_failures_total") == failed + 1
    await sampler.sample_depth()
    assert _value("ogedge_webhook_queue_depth") == 7
    assert len(flushed) == 4
