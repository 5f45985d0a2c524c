"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Request, get
from litestar.response import Response

from proxy.storage.base import StorageError

__all__ = ["healthz", "readyz"]

_PROBE_TIMEOUT = 2.0


@get("/healthz", include_in_schema=True, sync_to_thread=False)
def healthz() -> dict[str, str]:
    """The process is alive and serving."""
    return {"status": "ok"}


@get("/readyz")
async def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Storage and Redis reachable; 503 with the failing dependency otherwise."""
    runtime = request.app.state.runtime
    checks: dict[str, Any] = {}
    ready = True
    try:
        await asyncio.wait_for(runtime.storage.ping(), _PROBE_TIMEOUT)
        checks["storage"] = {"ok": True, "backend": runtime.storage.name}
    except (StorageError, TimeoutError, OSError) as exc:
        ready = False
        checks["storage"] = {"ok": False, "backend": runtime.storage.name, "error": str(exc)}
    if runtime.redis is None:
        checks["redis"] = {"ok": True, "configured": False}
    else:
        try:
            await asyncio.wait_for(runtime.redis.ping(), _PROBE_TIMEOUT)
            checks["redis"] = {"ok": True, "configured": True}
        except Exception as exc:  # any failure means "not ready", and says why
            ready = False
            checks["redis"] = {
                "ok": False,
                "configured": True,
                "error": f"{type(exc).__name__}: {exc}",
            }
    checks["fetch_allow_private"] = runtime.settings.fetch.allow_private
    return Response({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
