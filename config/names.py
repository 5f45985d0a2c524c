"""How a dotted settings path maps to its environment variable."""

from __future__ import annotations

__all__ = ["env_name"]

# Areas whose fields are named without the area: OGEDGE_PORT, OGEDGE_DATA_DIR, OGEDGE_IMAGE_RATE.
_FLAT_AREAS = {"server", "storage", "limits"}
# Areas whose variables use another prefix. [webhooks] is OGEDGE_WEBHOOK_*: the published
# name of its development switch is OGEDGE_WEBHOOK_ALLOW_HTTP, and one area keeps one prefix.
_AREA_PREFIX = {"webhooks": "webhook"}


def env_name(path: str) -> str:
    """The variable that sets a dotted settings path, e.g. storage.s3.bucket -> OGEDGE_S3_BUCKET."""
    parts = path.split(".")
    if parts[0] in _FLAT_AREAS:
        parts = parts[1:]
    else:
        parts[0] = _AREA_PREFIX.get(parts[0], parts[0])
    return "OGEDGE_" + "_".join(parts).upper()
