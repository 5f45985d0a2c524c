"""End-to-end: `ogedge serve` (Granian) in a subprocess, real redis-server, moto's S3 server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import config
from devkit.ogedge import OgEdgeServer, png_bytes, seed
from devkit.servers import MotoProcess, RedisProcess

Start = Callable[..., OgEdgeServer]


@pytest.fixture
def s3_env(moto_server: MotoProcess, bucket: str, tmp_path: Path) -> dict[str, str]:
    return {
        "OGEDGE_S3_BUCKET": bucket,
        "OGEDGE_S3_ENDPOINT_URL": moto_server.url,
        "OGEDGE_S3_PREFIX": "e2e",
        "OGEDGE_S3_MAX_ATTEMPTS": "2",
        "OGEDGE_S3_CONNECT_TIMEOUT": "0.5",
        "OGEDGE_S3_READ_TIMEOUT": "1",
        "OGEDGE_DATA_DIR": str(tmp_path / "data"),  # server logs live here
    }


@pytest.fixture
def start_server() -> Iterator[Start]:
    servers: list[OgEdgeServer] = []

    def start(env: dict[str, str], workers: int = 1) -> OgEdgeServer:
        server = OgEdgeServer(env, workers=workers).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def unique_slug(prefix: str = "E2e") -> str:
    """Tests share one Redis (metadata, limits): each test's cards get slugs of their own."""
    return (prefix + uuid.uuid4().hex)[:12]


def seed_card(env: dict[str, str], slug: str, seed_value: int = 1) -> tuple[bytes, str]:
    data = png_bytes(seed_value=seed_value)
    meta = asyncio.run(seed(config.load(env), slug, data))
    return data, meta.etag


__all__ = ["MotoProcess", "RedisProcess", "Start", "seed_card", "unique_slug"]
