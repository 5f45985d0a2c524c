"""/metrics, request ids and JSON logs against `ogedge serve --workers 2`; `ogedge doctor`."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.e2e.conftest import RedisProcess, Start, seed_card, unique_slug
from tests.e2e.test_fallback import put_spec_only
from tests.support.cluster import RedisClusterProcess

pytestmark = pytest.mark.e2e

_OGEDGE = str(Path(sys.executable).with_name("ogedge"))
_SAMPLE = re.compile(r"^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$")


def _samples(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def _image_requests(samples: dict[str, float]) -> float:
    return sum(v for k, v in samples.items() if k.startswith('ogedge_requests_total{route="image"'))


def test_metrics_aggregate_across_workers_with_request_ids_and_json_logs(
    tmp_path: Path, start_server: Start
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale from a previous run")
    env = {
        "OGEDGE_DATA_DIR": str(tmp_path / "data"),
        "OGEDGE_IMAGE_RATE": "1000",
        "OGEDGE_IMAGE_BURST": "1000",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    slug = unique_slug()
    seed_card(env, slug)
    on_demand = unique_slug("Demand")
    asyncio.run(put_spec_only(env, on_demand))
    server = start_server(env, workers=2)

    made = 60
    ids: set[str] = set()
    for i in range(made):
        # A new connection each time, so both workers get some of them.
        with httpx.Client(base_url=server.url, timeout=10) as c:
            r = c.get(f"/i/{slug}", headers={"x-request-id": f"e2e-{i}"})
            assert r.status_code == 200
            assert r.headers["x-request-id"] == f"e2e-{i}"
            ids.add(r.headers["x-request-id"])
    with httpx.Client(base_url=server.url, timeout=30) as c:
        generated = c.get("/healthz").headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{16}", generated)
        render = c.get(f"/i/{on_demand}", headers={"x-request-id": "render-me-1"})
        assert render.status_code == 200
        assert render.headers["x-request-id"] == "render-me-1"
        assert c.get("/i/nothing-here").status_code == 404

    # Both workers wrote samples, and any worker's scrape sums them all.
    pids = {p.stem.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}
    assert len(pids) >= 2, sorted(metrics_dir.iterdir())
    assert "1" not in pids  # the stale file was removed at start
    # Workers fold their counts in every second (and the scraped one at once): wait for that.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with httpx.Client(base_url=server.url, timeout=10) as c:
            if _image_requests(_samples(c.get("/metrics").text)) >= made + 2:
                break
        time.sleep(0.2)
    for _ in range(6):
        with httpx.Client(base_url=server.url, timeout=10) as c:
            r = c.get("/metrics")
        assert r.status_code == 200
        samples = _samples(r.text)
        assert _image_requests(samples) >= made + 2
        assert samples['ogedge_requests_total{route="image",status="200"}'] >= made + 1
        assert samples['ogedge_requests_total{route="image",status="404"}'] >= 1
        assert samples['ogedge_requests_total{route="health",status="200"}'] >= 1
        hot = samples.get('ogedge_image_source_total{source="hot_cache"}', 0)
        storage = samples.get('ogedge_image_source_total{source="storage"}', 0)
        files = samples.get('ogedge_image_source_total{source="file"}', 0)
        assert hot + storage + files >= made
        # Local disk: each worker has Granian send the file on first sight, reads it into memory
        # once when it is seen again (the hot cache's admission), then serves it from memory.
        # The card rendered on demand goes out as its new file too: one more file.
        assert 2 <= files <= 3 and storage <= 2 and hot >= made - 4, (files, storage, hot)
        assert samples['ogedge_image_source_total{source="fallback_render"}'] == 1
        assert samples['ogedge_render_duration_seconds_count{template="blog"}'] == 1
        assert samples['ogedge_request_duration_seconds_count{route="image"}'] >= made + 2
        assert samples['ogedge_request_duration_seconds_bucket{le="0.0005",route="image"}'] >= 0
        assert samples["ogedge_redis_breaker_state"] == 0
        assert "ogedge_webhook_queue_depth" in samples
        assert "ogedge_webhook_deliveries_total" in samples
        assert samples.get('ogedge_rate_limited_total{route="image"}', 0) == 0
        time.sleep(0.05)

    # Logs: JSON lines; the on-demand render's line carries that request's id.
    deadline = time.monotonic() + 5
    while f"rendered {on_demand} on demand" not in server.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    entries = []
    for line in server.output().splitlines():
        if line.startswith("ogedge: serving on"):  # the one plain line, before Granian starts
            continue
        entries.append(orjson.loads(line))  # every other line is a JSON object, Granian's too
    assert any(e["logger"] == "_granian" for e in entries)
    assert entries, server.output()
    for entry in entries:
        assert {"ts", "level", "logger", "msg", "request_id"} <= entry.keys()
    rendered = [e for e in entries if e["msg"].startswith(f"rendered {on_demand} on demand")]
    assert rendered, server.output()
    assert rendered[0]["request_id"] == "render-me-1"
    assert rendered[0]["logger"] == "ogedge.fallback"


def _doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OGEDGE_")}
    return subprocess.run(
        [_OGEDGE, "doctor"], env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_doctor_passes_on_a_tmp_data_dir(tmp_path: Path) -> None:
    done = _doctor({"OGEDGE_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    names = [line.split()[1] for line in lines]
    assert names == ["libvips", "loaders", "fonts", "templates", "settings", "storage", "redis"]
    assert all(line.split()[0] in ("OK", "WARN") for line in lines)
    assert lines[0].startswith("OK   libvips   version 8.")
    # No OGEDGE_REDIS_URL: `ogedge serve` runs its own redis-server, which must be installed.
    socket = tmp_path / "data" / "redis" / "redis.sock"
    assert re.search(
        rf"^OK   redis +embedded \(no OGEDGE_REDIS_URL\): redis-server \d+\.\d+\.\d+ .*"
        rf"unix://{re.escape(str(socket))}$",
        done.stdout,
        re.M,
    ), done.stdout


def test_doctor_fails_when_the_embedded_redis_is_not_installed(tmp_path: Path) -> None:
    # Only the venv's bin on PATH: no redis-server (the ogedge script runs the venv's python).
    done = _doctor(
        {"OGEDGE_DATA_DIR": str(tmp_path / "data"), "PATH": str(Path(sys.executable).parent)}
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(
        r"^FAIL redis +embedded \(no OGEDGE_REDIS_URL\): redis-server not found on PATH: "
        r".*apt-get install redis-server.*OGEDGE_REDIS_URL",
        done.stdout,
        re.M,
    ), done.stdout


def test_doctor_says_external_for_a_reachable_url(
    tmp_path: Path, redis_server: RedisProcess
) -> None:
    done = _doctor(
        {"OGEDGE_DATA_DIR": str(tmp_path / "data"), "OGEDGE_REDIS_URL": redis_server.url}
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(
        r"^OK   redis +external \(OGEDGE_REDIS_URL, single node\), reachable$", done.stdout, re.M
    ), done.stdout


def test_doctor_reaches_a_cluster_through_the_state_layer(
    tmp_path: Path, redis_cluster: RedisClusterProcess
) -> None:
    done = _doctor(
        {
            "OGEDGE_DATA_DIR": str(tmp_path / "data"),
            "OGEDGE_REDIS_URL": redis_cluster.url,
            "OGEDGE_REDIS_CLUSTER": "true",
        }
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(
        r"^OK   redis +external \(OGEDGE_REDIS_URL, cluster\), reachable$", done.stdout, re.M
    ), done.stdout


def test_doctor_fails_and_says_what_to_fix(tmp_path: Path) -> None:
    done = _doctor(
        {"OGEDGE_DATA_DIR": str(tmp_path / "data"), "OGEDGE_REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert done.returncode == 1
    assert re.search(
        r"^FAIL redis +unreachable: .*external Redis \(single node\): check OGEDGE_REDIS_URL",
        done.stdout,
        re.M,
    )
    bad = _doctor({"OGEDGE_DATA_DIR": str(tmp_path / "data"), "OGEDGE_IMAGE_RATE": "lots"})
    assert bad.returncode == 1
    assert re.search(r"^FAIL settings +OGEDGE_IMAGE_RATE", bad.stdout, re.M)
