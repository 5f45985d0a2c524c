"""Records of the keys registry: API keys and projects, and the formats of names, ids and secrets.

Everything here is pure (no I/O): the registry persists these records, the authenticator reads them.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from datetime import datetime

import msgspec

from proxy.errors import InvalidInput

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_MONTHLY_QUOTA",
    "DEFAULT_RATE",
    "KEY_ID_PREFIX",
    "SECRET_PREFIX",
    "ApiKey",
    "InvalidInput",
    "Project",
    "check_burst",
    "check_key_id",
    "check_label",
    "check_monthly_quota",
    "check_project",
    "check_rate",
    "hash_secret",
    "is_well_formed_secret",
    "new_key_id",
    "new_secret",
]

DEFAULT_RATE = 10.0
DEFAULT_BURST = 20
DEFAULT_MONTHLY_QUOTA = 0  # 0 = unlimited

SECRET_PREFIX = "ogk_live_"
KEY_ID_PREFIX = "key_"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# 32 base62 characters carry ~190 bits: far beyond guessing, so a plain SHA-256 (no salt, no KDF)
# is a safe stored form and lets a lookup be one GET by hash.
_SECRET = re.compile(rf"{SECRET_PREFIX}[0-9A-Za-z]{{32}}")
_KEY_ID = re.compile(rf"{KEY_ID_PREFIX}[0-9A-Za-z]{{12}}")
# Project names become storage keys (projects/<name>.json): a strict, path-safe alphabet.
_PROJECT = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_LABEL_MAX = 200
_RATE_MAX = 1_000_000.0
_BURST_MAX = 1_000_000


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """One API key. The secret itself is never part of it: only its SHA-256 (`hash`)."""

    id: str  # public, safe to log and show: key_ + 12 base62
    hash: str  # hex SHA-256 of the secret; also the storage key of this record
    project: str  # the project the key belongs to (and targets when none is named)
    is_global: bool = False  # may target any project
    rate: float = DEFAULT_RATE  # sustained requests per second (GCRA)
    burst: int = DEFAULT_BURST
    created: datetime
    revoked: datetime | None = None
    label: str = ""

    @property
    def active(self) -> bool:
        return self.revoked is None


class Project(msgspec.Struct, frozen=True, kw_only=True):
    """Per-project settings. The monthly quota lives here, not on keys: every key of a project
    (and every global key targeting it) draws from the same monthly budget."""

    name: str
    monthly_quota: int = DEFAULT_MONTHLY_QUOTA  # renders per calendar month; 0 = unlimited
    created: datetime
    updated: datetime


def new_secret() -> str:
    return SECRET_PREFIX + "".join(secrets.choice(_BASE62) for _ in range(32))


def new_key_id() -> str:
    return KEY_ID_PREFIX + "".join(secrets.choice(_BASE62) for _ in range(12))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def is_well_formed_secret(secret: str) -> bool:
    """Cheap shape check, so malformed keys are refused without touching storage."""
    return _SECRET.fullmatch(secret) is not None


def check_project(name: str) -> str:
    if not isinstance(name, str) or _PROJECT.fullmatch(name) is None:
        raise InvalidInput(
            f"invalid project name {name!r}: 1-64 characters, lower-case letters, digits, "
            "'_' and '-', starting with a letter or digit"
        )
    return name


def check_key_id(key_id: str) -> str:
    if not isinstance(key_id, str) or _KEY_ID.fullmatch(key_id) is None:
        raise InvalidInput(f"invalid key id {key_id!r}: expected key_ and 12 letters or digits")
    return key_id


def check_rate(rate: float) -> float:
    if not isinstance(rate, int | float) or not math.isfinite(rate) or not 0 < rate <= _RATE_MAX:
        raise InvalidInput(f"invalid rate {rate!r}: requests per second, > 0 and <= {_RATE_MAX:g}")
    return float(rate)


def check_burst(burst: int) -> int:
    if isinstance(burst, bool) or not isinstance(burst, int) or not 1 <= burst <= _BURST_MAX:
        raise InvalidInput(f"invalid burst {burst!r}: a whole number from 1 to {_BURST_MAX}")
    return burst


def check_monthly_quota(quota: int) -> int:
    if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
        raise InvalidInput(f"invalid monthly quota {quota!r}: a whole number >= 0 (0 = unlimited)")
    return quota


def check_label(label: str) -> str:
    # Labels are printed in terminals by `keys list`: no control characters (escape sequences).
    if not isinstance(label, str) or len(label) > _LABEL_MAX or not label.isprintable():
        raise InvalidInput(f"invalid label: at most {_LABEL_MAX} printable characters")
    return label
