"""Request authentication: which API key is calling, and which project it may act on.

Lookups go through a short in-process TTL cache, so the hot path rarely touches storage and a
revocation written by any node takes effect everywhere within `ttl` seconds. Unknown keys are
cached too, briefly, so a flood of bad keys costs one storage GET per distinct key per second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

from cachetools import TTLCache

from proxy.errors import Forbidden, InvalidInput, ServiceError, Unauthenticated
from proxy.keys.model import ApiKey, Project, check_project, hash_secret, is_well_formed_secret
from proxy.keys.registry import KeyRegistry

__all__ = [
    "AuthError",
    "Authenticator",
    "ForbiddenProject",
    "InvalidKey",
    "InvalidProject",
    "MissingKey",
    "authorize",
    "extract_key",
]


class AuthError(ServiceError):
    """Base of the errors authentication and authorization raise."""


class MissingKey(AuthError, Unauthenticated):
    code = "missing_api_key"

    def __init__(self) -> None:
        super().__init__("an API key is required (x-api-key or Authorization: Bearer)")


class InvalidKey(AuthError, Unauthenticated):
    """Unknown, revoked or malformed: deliberately one error, so callers learn nothing more."""

    code = "invalid_api_key"

    def __init__(self) -> None:
        super().__init__("invalid API key")


class ForbiddenProject(AuthError, Forbidden):
    code = "forbidden_project"

    def __init__(self, project: str) -> None:
        super().__init__(f"this API key may not act on project {project!r}")


class InvalidProject(AuthError, InvalidInput):
    code = "invalid_project"

    def __init__(self, message: str) -> None:
        super().__init__(message, "projectId")


def extract_key(headers: Mapping[str, str]) -> str | None:
    """The key from `x-api-key`, else from `Authorization: Bearer <key>`; None when neither.

    Header names match case-insensitively even on a plain dict. `x-api-key` wins when both are
    sent. Another Authorization scheme (Basic…) is not a key: None.
    """
    api_key = authorization = None
    for name, value in headers.items():
        lowered = name.lower()
        if lowered == "x-api-key":
            api_key = value
        elif lowered == "authorization":
            authorization = value
    if api_key is not None and api_key.strip():
        return api_key.strip()
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


def authorize(key: ApiKey, project_id: str | None) -> str:
    """The project this request acts on: `project_id` if the key may target it, else 403.

    No project named means the key's own. A project key may target only its own project; a
    global key any well-formed one (it need not exist yet: its quota is then unlimited).
    """
    if project_id is None:
        return key.project
    try:
        check_project(project_id)
    except InvalidInput as exc:
        raise InvalidProject(str(exc)) from None
    if not key.is_global and project_id != key.project:
        raise ForbiddenProject(project_id)
    return project_id


class Authenticator:
    """Cached key and project lookups in front of a KeyRegistry (one per process)."""

    def __init__(
        self,
        registry: KeyRegistry,
        ttl: float = 5.0,
        *,
        negative_ttl: float = 1.0,
        maxsize: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        # Keyed by the secret's hash, so no secret lingers in memory as a cache key.
        self._keys: TTLCache[str, ApiKey] = TTLCache(maxsize, ttl, timer=clock)
        self._unknown: TTLCache[str, bool] = TTLCache(maxsize, negative_ttl, timer=clock)
        self._projects: TTLCache[str, Project | None] = TTLCache(maxsize, ttl, timer=clock)
        # Single flight: concurrent requests with one uncached key share one storage GET.
        self._inflight: dict[str, asyncio.Task[ApiKey | None]] = {}

    async def authenticate(self, headers: Mapping[str, str]) -> ApiKey:
        """The active key of this request. Raises MissingKey, InvalidKey; StorageError passes up
        (a 503: the registry could not be read, which says nothing about the key)."""
        secret = extract_key(headers)
        if secret is None:
            raise MissingKey()
        if not is_well_formed_secret(secret):
            raise InvalidKey()
        digest = hash_secret(secret)
        key = self._keys.get(digest)
        if key is None:
            if digest in self._unknown:
                raise InvalidKey()
            key = await self._lookup(digest)
        if key is None or not key.active:
            raise InvalidKey()
        return key

    def authorize(self, key: ApiKey, project_id: str | None) -> str:
        return authorize(key, project_id)

    async def project_quota(self, project: str) -> int:
        """The project's monthly quota (0 = unlimited, also for a project with no record)."""
        if project in self._projects:
            cached = self._projects[project]
        else:
            cached = await self._registry.get_project(project)
            self._projects[project] = cached
        return cached.monthly_quota if cached is not None else 0

    async def _lookup(self, digest: str) -> ApiKey | None:
        task = self._inflight.get(digest)
        if task is None:
            task = asyncio.create_task(self._load(digest))
            self._inflight[digest] = task
            task.add_done_callback(lambda t: self._loaded(digest, t))
        # Shielded: one cancelled request must not cancel the lookup others are waiting on.
        return await asyncio.shield(task)

    async def _load(self, digest: str) -> ApiKey | None:
        key = await self._registry.get_by_hash(digest)
        if key is None:
            self._unknown[digest] = True
        else:
            # Revoked records are cached too: they are answered as invalid without a GET.
            self._keys[digest] = key
        return key

    def _loaded(self, digest: str, task: asyncio.Task[ApiKey | None]) -> None:
        self._inflight.pop(digest, None)
        if not task.cancelled():
            task.exception()  # retrieved here, so a failure nobody awaited is not logged as lost
