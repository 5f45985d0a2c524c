"""S3-compatible storage (AWS, R2, MinIO, moto…) through aioboto3.

One client per app: it owns aiohttp's connection pool, so creating one per request would pay a
TLS handshake each time and leak pools. Every botocore/aiohttp failure is translated here into
the three errors the service understands (ObjectNotFound, StorageUnavailable, InvalidKey), so
nothing above this module ever imports botocore.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, NoReturn

import aioboto3
import aiohttp
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from config.settings import S3Settings
from proxy.storage.base import (
    CHUNK_SIZE,
    InvalidKey,
    ObjectInfo,
    ObjectNotFound,
    StorageUnavailable,
    check_content_type,
    check_key,
    check_metadata,
    check_prefix,
)

__all__ = ["S3Storage", "s3_prefix"]

_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})
_EXISTS = frozenset({"412", "PreconditionFailed", "409", "ConditionalRequestConflict"})
# Failures of the transport or the service itself: a retry later may succeed, so they are 503s.
_TRANSIENT = (BotoCoreError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


def s3_prefix(prefix: str) -> str:
    """'a/b', '/a/b/' and 'a/b/' all mean the folder 'a/b/'; '' and '/' mean the bucket root."""
    stripped = prefix.strip("/")
    return f"{check_key(stripped)}/" if stripped else ""


class S3Storage:
    """The Storage Protocol on one bucket (and optional prefix) of an S3-compatible service."""

    name = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str, stack: AsyncExitStack) -> None:
        # `client` is aiobotocore's S3 client: untyped (no stubs), so `Any` stops at this class.
        self._client = client
        self.bucket = bucket
        self.prefix = s3_prefix(prefix)
        self._stack = stack

    @classmethod
    async def create(cls, settings: S3Settings) -> S3Storage:
        """Open the app's client; `close()` releases it (and its connection pool)."""
        config = Config(
            region_name=settings.region,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            # "standard" retries 5xx, throttling and connection errors with jittered backoff; a
            # small budget keeps a dead endpoint from holding requests for long. botocore's
            # "max_attempts" counts retries only; "total_max_attempts" includes the first try,
            # which is what the setting means.
            retries={"total_max_attempts": settings.max_attempts, "mode": "standard"},
            max_pool_connections=settings.max_pool_connections,
            # Checksums only where S3 requires them: several S3-compatible stores reject the
            # trailing CRC headers botocore >= 1.36 adds by default. Bodies are ETag-checked above.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        # Explicit keys when configured; otherwise None lets botocore walk the standard chain
        # (environment, shared profiles, container and instance roles).
        session = aioboto3.Session(
            aws_access_key_id=settings.access_key_id or None,
            aws_secret_access_key=settings.secret_access_key or None,
            region_name=settings.region,
        )
        stack = AsyncExitStack()
        client = await stack.enter_async_context(
            session.client("s3", endpoint_url=settings.endpoint_url or None, config=config)
        )
        return cls(client, settings.bucket, settings.prefix, stack)

    async def close(self) -> None:
        await self._stack.aclose()

    async def head(self, key: str) -> ObjectInfo:
        name = self._name(key)
        try:
            response = await self._client.head_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            _raise(exc, key)
        return _info(response)

    @asynccontextmanager
    async def open(self, key: str) -> AsyncIterator[tuple[ObjectInfo, AsyncIterator[bytes]]]:
        name = self._name(key)
        try:
            response = await self._client.get_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            _raise(exc, key)
        body = response["Body"]
        info = _info(response)
        chunks = _stream(body, info.size, key)
        try:
            yield info, chunks
        finally:
            await chunks.aclose()
            # `body` proxies aiohttp's response: a fully read one hands its connection back to the
            # pool; an abandoned or broken one must close it (unread bytes would corrupt reuse).
            if body.content.at_eof():
                body.release()
            else:
                body.close()

    async def put(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> None:
        name = self._name(key)
        try:
            await self._client.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=check_content_type(content_type),
                Metadata=check_metadata(metadata),
            )
        except Exception as exc:
            _raise(exc, key)

    async def put_if_absent(
        self, key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
    ) -> bool:
        name = self._name(key)
        try:
            # A conditional write (If-None-Match: *): S3, R2 and MinIO refuse it with 412 when
            # the key exists, and with 409 while another conditional write of it is in flight.
            await self._client.put_object(
                Bucket=self.bucket,
                Key=name,
                Body=data,
                ContentType=check_content_type(content_type),
                Metadata=check_metadata(metadata),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _code(exc) in _EXISTS:
                return False
            _raise(exc, key)
        except Exception as exc:
            _raise(exc, key)
        return True

    async def list(self, prefix: str, *, start_after: str = "", limit: int = 1000) -> list[str]:
        folder = self.prefix + check_prefix(prefix)
        keys: list[str] = []
        after = self.prefix + start_after if start_after else ""
        try:
            while len(keys) < limit:
                page = await self._client.list_objects_v2(
                    Bucket=self.bucket,
                    Prefix=folder,
                    StartAfter=after,
                    MaxKeys=min(1000, limit - len(keys)),
                )
                names = [str(item["Key"]) for item in page.get("Contents", [])]
                keys.extend(name[len(self.prefix) :] for name in names)
                if not names or not page.get("IsTruncated"):
                    break
                after = names[-1]
        except Exception as exc:
            _raise(exc, prefix)
        return keys

    async def delete(self, key: str) -> None:
        name = self._name(key)
        try:
            # S3 answers 204 for a missing key too, which is exactly the Protocol's contract.
            await self._client.delete_object(Bucket=self.bucket, Key=name)
        except Exception as exc:
            _raise(exc, key)

    def local_path(self, key: str) -> str | None:
        return None

    async def ping(self) -> None:
        try:
            await self._client.head_bucket(Bucket=self.bucket)
        except Exception as exc:
            # A missing bucket or refused credentials make storage as unusable as a dead endpoint.
            if isinstance(exc, ClientError):
                raise StorageUnavailable(f"bucket {self.bucket!r}: {_code(exc)}") from exc
            _raise(exc, self.bucket)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)


async def _stream(body: Any, size: int, key: str) -> AsyncGenerator[bytes, None]:
    """Yield the body in chunks of at most CHUNK_SIZE; fail loudly rather than end short."""
    received = 0
    try:
        async for chunk in body.iter_chunks(CHUNK_SIZE):
            received += len(chunk)
            yield chunk
    except Exception as exc:
        _raise(exc, key)
    # aiobotocore checks Content-Length too; this guards against a body that merely ends early.
    if received != size:
        raise StorageUnavailable(f"{key}: body ended after {received} of {size} bytes")


def _info(response: Mapping[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        size=int(response["ContentLength"]),
        content_type=str(response.get("ContentType") or "application/octet-stream"),
        metadata={str(k).lower(): str(v) for k, v in response.get("Metadata", {}).items()},
        modified=response["LastModified"].timestamp(),
    )


def _code(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Code") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))


def _raise(exc: Exception, key: str) -> NoReturn:
    """Translate a botocore/aiohttp failure into the service's storage errors."""
    if isinstance(exc, ClientError):
        code = _code(exc)
        if code in _NOT_FOUND:
            raise ObjectNotFound(key) from exc
        if code == "KeyTooLongError":
            raise InvalidKey(f"storage key too long: {key!r}") from exc
        # 5xx, throttling, and misconfiguration (403, missing bucket): nothing the request did.
        raise StorageUnavailable(f"{key}: S3 error {code}") from exc
    if isinstance(exc, _TRANSIENT):
        raise StorageUnavailable(f"{key}: {type(exc).__name__}: {exc}") from exc
    raise exc
