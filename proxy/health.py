"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Response

from proxy.lifespan import Services
from proxy.storage.base import StorageError

__all__ = ["healthz", "readyz"]

_PROBE_TIMEOUT = 2.0


@get("/healthz", include_in_schema=True, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is alive and serving."""
    return {"status": "ok"}


@get("/readyz")
async def readyz(services: NamedDependency[Services]) -> Response[dict[str, Any]]:
    """Storage and Redis reachable (and which Redis: embedded or external); 503 otherwise."""
    checks: dict[str, Any] = {}
    ready = True
    storage = services.storage
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT):
            await storage.ping()
        checks["storage"] = {"ok": True, "backend": storage.name}
    except (StorageError, TimeoutError, OSError) as exc:
        ready = False
        checks["storage"] = {"ok": False, "backend": storage.name, "error": str(exc)}
    state = services.state
    redis: dict[str, Any] = {
        "mode": state.mode,
        "topology": state.topology,
        "location": state.location,
    }
    try:
        await state.ping(_PROBE_TIMEOUT)
        redis["ok"] = True
    except Exception as exc:  # any failure means "not ready", and says why
        ready = False
        redis.update(ok=False, error=f"{type(exc).__name__}: {exc}")
    checks["redis"] = redis
    checks["fetch_allow_private"] = services.settings.fetch.allow_private
    return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
