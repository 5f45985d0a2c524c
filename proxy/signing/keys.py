"""URL-signing keys per project: several may be active at once, so a key can be rotated
without breaking the URLs already published with the old one (revoke it when they are gone).

Storage holds each key's record (id, label, created, revoked) and never its secret: the secret
is derived, HMAC-SHA256(server secret, project + key id), so a copy of the bucket signs
nothing. The price: the server secret (OGEDGE_SECRET) is the root of every signing key, as it
already is of every slug; changing it retires every signing key too.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import hmac
import re
import secrets
import time

import msgspec

from proxy import layout
from proxy.errors import InvalidInput, NotFound
from proxy.keys.model import check_label, check_project
from proxy.storage.base import Storage
from proxy.storage.documents import read_json, write_json

__all__ = ["MAX_ACTIVE", "SigningKey", "SigningKeyNotFound", "SigningKeys"]

_KEY_ID = re.compile(r"sk_[0-9a-z]{10}")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
# Each active key costs one HMAC per unknown URL; a handful covers any rotation.
MAX_ACTIVE = 5


class SigningKeyNotFound(NotFound):
    code = "signing_key_not_found"


class SigningKey(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    project: str
    created: float
    label: str = ""
    revoked: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


class SigningKeys:
    def __init__(self, storage: Storage, server_secret: bytes) -> None:
        self._storage = storage
        self._root = server_secret

    def secret_of(self, key: SigningKey) -> str:
        mac = hmac.new(
            self._root, f"ogedge signing key\0{key.project}\0{key.id}".encode(), hashlib.sha256
        ).digest()
        return f"ogsk_{key.id}_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")

    async def create(self, project: str, label: str = "") -> tuple[str, SigningKey]:
        check_project(project)
        active = [k for k in await self.list(project) if k.active]
        if len(active) >= MAX_ACTIVE:
            raise InvalidInput(
                f"project {project!r} has {MAX_ACTIVE} active signing keys; revoke one first",
                "project",
            )
        key_id = "sk_" + "".join(secrets.choice(_ALPHABET) for _ in range(10))
        key = SigningKey(id=key_id, project=project, created=time.time(), label=check_label(label))
        await write_json(self._storage, layout.signing_key(project, key_id), key)
        return self.secret_of(key), key

    async def list(self, project: str) -> list[SigningKey]:
        """Every key of the project, revoked ones too, oldest first."""
        names = await self._storage.list(layout.signing_keys(check_project(project)))
        keys = []
        for name in names:
            key = await read_json(self._storage, name, SigningKey)
            if key is not None:
                keys.append(key)
        return sorted(keys, key=lambda k: (k.created, k.id))

    async def revoke(self, project: str, key_id: str) -> SigningKey:
        if _KEY_ID.fullmatch(key_id) is None:
            raise SigningKeyNotFound(f"no signing key {key_id!r}", "key")
        path = layout.signing_key(check_project(project), key_id)
        key = await read_json(self._storage, path, SigningKey)
        if key is None:
            raise SigningKeyNotFound(f"project {project!r} has no signing key {key_id!r}", "key")
        if key.active:
            key = msgspec.structs.replace(key, revoked=time.time())
            await write_json(self._storage, path, key)
        return key

    async def active_secrets(self, project: str) -> builtins.list[str]:
        """The secrets that sign valid URLs of `project` now, newest first."""
        return [self.secret_of(k) for k in reversed(await self.list(project)) if k.active]
