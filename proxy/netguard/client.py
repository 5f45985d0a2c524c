"""GuardedClient: the one outbound HTTP client (page scrapes, images, webhooks).

Create it once per app lifespan (`await GuardedClient.create(settings.fetch)`) and
`await client.close()` on shutdown. Every request goes through the guarded connector
(connector.py); this module adds the URL and redirect rules, the timeouts, the size
caps and the content-type check, and turns every failure into a FetchError.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Final

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from config.settings import FetchSettings
from proxy.netguard.connector import create_connector
from proxy.netguard.errors import (
    AddressRefused,
    BadContentType,
    FetchError,
    FetchTimeout,
    ForbiddenAddress,
    InvalidURL,
    TooLarge,
    TooManyRedirects,
    UpstreamError,
)
from proxy.netguard.policy import AddressPolicy
from proxy.netguard.urls import check_url

__all__ = ["FetchResult", "GuardedClient"]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
# Dropped when a redirect leaves the origin: credentials for one site are not for the next.
_ORIGIN_BOUND: Final = ("Authorization", "Cookie", "Proxy-Authorization")
_CHUNK: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class FetchResult:
    final_url: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    # Lower-case media type without parameters ("text/html"); "" when the header is absent.
    content_type: str
    charset: str | None


class GuardedClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        resolver: AbstractResolver,
        settings: FetchSettings,
        policy: AddressPolicy,
    ) -> None:
        self._session = session
        self._resolver = resolver
        self._settings = settings
        self._policy = policy
        # Connect to one address; the whole-fetch deadline is asyncio.timeout in fetch().
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=settings.connect_timeout, sock_read=None
        )

    @classmethod
    async def create(
        cls,
        settings: FetchSettings,
        *,
        resolver: AbstractResolver | None = None,
        policy: AddressPolicy | None = None,
    ) -> GuardedClient:
        """`resolver` is the base lookup (default: getaddrinfo in a thread) that the guard
        wraps; `policy` defaults to one built from `settings`. Both are for tests."""
        policy = policy or AddressPolicy(allow_private=settings.allow_private)
        resolver = resolver or aiohttp.ThreadedResolver()
        connector = create_connector(policy, resolver)
        session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": settings.user_agent},
            # Environment proxies would connect to the proxy and let it resolve the
            # name: the address check would judge the proxy, not the target.
            trust_env=False,
            # Cookies set by one fetched site must never ride along to another fetch.
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=True,
            raise_for_status=False,
        )
        return cls(session, resolver, settings, policy)

    @property
    def policy(self) -> AddressPolicy:
        return self._policy

    async def close(self) -> None:
        await self._session.close()
        # A connector does not close a resolver it was handed.
        await self._resolver.close()

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        accept: tuple[str, ...],
        timeout: float | None = None,  # noqa: ASYNC109 - the documented per-fetch deadline
        follow_redirects: bool = True,
        method: str = "GET",
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> FetchResult:
        """Fetch `url` under the policy, or raise a FetchError.

        `accept`: allowed media types for a 2xx answer: "image/" admits a whole family,
        "text/html" exactly that type; () admits anything (webhooks). Any status is
        returned, 4xx and 5xx included: the caller decides. `max_bytes` caps the decoded
        body, whatever the status. With `follow_redirects=False` a 3xx is returned as is.
        """
        total = self._settings.total_timeout if timeout is None else timeout
        state = _State(check_url(url, self._policy), method.upper(), data)
        try:
            async with asyncio.timeout(total):
                return await self._fetch(state, max_bytes, accept, follow_redirects, headers)
        except TimeoutError as exc:
            raise FetchTimeout(f"no complete answer within {total:g} s", str(state.url)) from exc

    async def _fetch(
        self,
        state: _State,
        max_bytes: int,
        accept: tuple[str, ...],
        follow: bool,
        headers: dict[str, str] | None,
    ) -> FetchResult:
        sent = CIMultiDict(headers or {})
        for hop in range(self._settings.max_redirects + 1):
            try:
                async with self._session.request(
                    state.method,
                    state.url,
                    headers=sent,
                    data=state.data,
                    allow_redirects=False,
                    timeout=self._timeout,
                ) as resp:
                    location = resp.headers.get("Location")
                    if not (follow and resp.status in _REDIRECTS and location is not None):
                        return await _read(resp, str(state.url), max_bytes, accept)
                    if hop == self._settings.max_redirects:
                        raise TooManyRedirects(
                            f"more than {self._settings.max_redirects} redirects", str(state.url)
                        )
                    target = _join(state.url, location)
                    status = resp.status
            except FetchError:
                raise
            except aiohttp.ConnectionTimeoutError as exc:
                raise FetchTimeout(
                    f"could not connect within {self._settings.connect_timeout:g} s",
                    str(state.url),
                ) from exc
            except aiohttp.ClientConnectorError as exc:
                raise _connect_error(exc, str(state.url)) from exc
            except aiohttp.ClientError as exc:
                raise UpstreamError(_describe(exc), str(state.url)) from exc
            except AddressRefused as exc:  # defensive: should arrive wrapped, as above
                raise ForbiddenAddress(exc.reason, str(state.url)) from exc
            state.redirect(check_url(target, self._policy), status, sent)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


class _State:
    """Where a fetch is now; redirects move it (and `fetch` names it in a timeout)."""

    def __init__(self, url: URL, method: str, data: bytes | None) -> None:
        self.url = url
        self.method = method
        self.data = data

    def redirect(self, target: URL, status: int, headers: CIMultiDict[str]) -> None:
        # RFC 9110 §15.4: 303 turns into GET; so do 301/302 after a POST, as every
        # client does. 307/308 repeat the method and the body.
        if (status == 303 and self.method != "HEAD") or (
            status in (301, 302) and self.method == "POST"
        ):
            self.method, self.data = "GET", None
            headers.popall("Content-Type", None)
        if target.origin() != self.url.origin():
            for name in _ORIGIN_BOUND:
                headers.popall(name, None)
        self.url = target


def _join(base: URL, location: str) -> URL:
    try:
        return base.join(URL(location))
    except (ValueError, TypeError) as exc:
        raise InvalidURL(f"the redirect target {location[:100]!r} is not a URL", str(base)) from exc


async def _read(
    resp: aiohttp.ClientResponse, url: str, max_bytes: int, accept: tuple[str, ...]
) -> FetchResult:
    length = resp.content_length
    if length is not None and length > max_bytes:
        resp.close()  # refuse before reading a byte of the body
        raise TooLarge(f"Content-Length {length} is over the {max_bytes}-byte limit", url)
    media = (resp.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if accept and 200 <= resp.status < 300 and not _accepted(media, accept):
        resp.close()
        shown = media or "none"
        raise BadContentType(f"got {shown}, expected {' or '.join(accept)}", url)
    body = bytearray()
    # resp.content yields decoded bytes (aiohttp decompresses gzip/deflate as it
    # reads, in bounded steps), so a compression bomb stops at max_bytes + one chunk.
    async for chunk in resp.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            resp.close()
            raise TooLarge(f"the decoded body is over the {max_bytes}-byte limit", url)
    return FetchResult(
        final_url=url,
        status=resp.status,
        headers=resp.headers,
        body=bytes(body),
        content_type=media,
        charset=resp.charset,
    )


def _accepted(media: str, accept: tuple[str, ...]) -> bool:
    return any(media.startswith(a) if a.endswith("/") else media == a for a in accept)


def _connect_error(exc: aiohttp.ClientConnectorError, url: str) -> FetchError:
    cause: BaseException | None = exc.os_error
    while cause is not None:
        if isinstance(cause, AddressRefused):
            return ForbiddenAddress(cause.reason, url)
        cause = cause.__cause__
    return UpstreamError(_describe(exc), url)


def _describe(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "the TLS certificate was not accepted"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "the TLS handshake failed"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "the host name could not be resolved"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"the connection failed ({exc.os_error.strerror or exc.os_error})"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "the server closed the connection early"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the response body was malformed or cut short"
    if isinstance(exc, aiohttp.ClientResponseError):
        return f"the response was malformed ({exc.message})"
    return f"the request failed ({type(exc).__name__})"
