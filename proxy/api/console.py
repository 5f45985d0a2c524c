"""The console's endpoints (API key; the key's project, or `projectId` for a global key):

GET  /api/v2/cards                                 this project's cards, newest first, paged
GET  /api/v2/usage                                 renders this month against the quota, the key's limit
GET  /api/v2/webhooks/deliveries                   recent webhook deliveries and their outcome
POST /api/v2/webhooks/deliveries/{id}/resend       queue a dead-lettered delivery again (same id)
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from proxy.api.schemas import error_responses
from proxy.console import CardLine, Console
from proxy.keys import ApiKey, Authenticator
from proxy.limits.key_limiter import KeyLimiter
from proxy.webhooks import LoggedDelivery

__all__ = ["list_cards", "list_deliveries", "resend_delivery", "show_usage"]


class CardItem(msgspec.Struct, rename="camel"):
    slug: str
    url: str
    template: str
    kind: str
    format: str
    title: str
    created: float  # Unix seconds
    size: int | None  # bytes; null while the image is being restored from its spec


class CardList(msgspec.Struct):
    success: bool
    cards: list[CardItem]
    # Pass as startAfter for the next page; null on the last one.
    next: str | None


class UsageInfo(msgspec.Struct, rename="camel"):
    project: str
    month: str
    used: int
    quota: int  # 0 = unlimited
    renews_in: int
    key_id: str
    rate: float
    burst: int


class UsageResult(msgspec.Struct):
    success: bool
    usage: UsageInfo


class DeliveryItem(msgspec.Struct, rename="camel"):
    id: str  # the webhook-id receivers see (the same on a re-send)
    url: str
    event: str
    slug: str
    status: str  # pending | delivered | dead
    attempts: int
    last_error: str
    created: int  # Unix milliseconds
    updated: int
    resends: int


class DeliveryList(msgspec.Struct):
    success: bool
    deliveries: list[DeliveryItem]


class DeliveryResult(msgspec.Struct):
    success: bool
    delivery: DeliveryItem


async def _caller(
    request: Request[Any, Any, Any], auth: Authenticator, key_limits: KeyLimiter
) -> tuple[ApiKey, str]:
    key = await auth.authenticate(request.headers)
    project = auth.authorize(key, request.query_params.get("projectId"))
    await key_limits.check(key)
    return key, project


def _card(line: CardLine) -> CardItem:
    return CardItem(
        line.slug, line.url, line.template, line.kind, line.format, line.title, line.created,
        line.size,
    )  # fmt: skip


def _delivery(entry: LoggedDelivery) -> DeliveryItem:
    return DeliveryItem(
        id=entry.id,
        url=entry.url,
        event=entry.event,
        slug=entry.slug,
        status=entry.status,
        attempts=entry.attempts,
        last_error=entry.last_error,
        created=entry.created,
        updated=entry.updated,
        resends=entry.resends,
    )


@get(
    "/api/v2/cards",
    summary="This project's cards, newest first (at most 50 a page; next page: startAfter)",
    responses=error_responses(400, 401, 403, 429, 503),
)
async def list_cards(
    request: Request[Any, Any, Any],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    console: NamedDependency[Console],
    limit: FromQuery[int] = 20,
    start_after: Annotated[str, QueryParameter(name="startAfter", max_length=200)] = "",
) -> CardList:
    _, project = await _caller(request, auth, key_limits)
    page = await console.cards(project, limit=limit, start_after=start_after)
    return CardList(True, [_card(line) for line in page.cards], page.next)


@get(
    "/api/v2/usage",
    summary="Renders this month against the project's quota, and the key's rate limit",
    responses=error_responses(401, 403, 429, 503),
)
async def show_usage(
    request: Request[Any, Any, Any],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    console: NamedDependency[Console],
) -> UsageResult:
    key, project = await _caller(request, auth, key_limits)
    usage = await console.usage(project, key, await auth.project_quota(project))
    return UsageResult(
        True,
        UsageInfo(
            usage.project,
            usage.month,
            usage.used,
            usage.quota,
            usage.renews_in,
            usage.key_id,
            usage.rate,
            usage.burst,
        ),
    )


@get(
    "/api/v2/webhooks/deliveries",
    summary="This project's recent webhook deliveries: pending, delivered, dead-lettered",
    responses=error_responses(400, 401, 403, 429, 503),
)
async def list_deliveries(
    request: Request[Any, Any, Any],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    console: NamedDependency[Console],
    limit: FromQuery[int] = 50,
) -> DeliveryList:
    _, project = await _caller(request, auth, key_limits)
    return DeliveryList(True, [_delivery(e) for e in await console.deliveries(project, limit)])


@post(
    "/api/v2/webhooks/deliveries/{delivery_id:str}/resend",
    status_code=202,
    summary="Send a dead-lettered delivery again (same webhook-id, new signature)",
    responses=error_responses(401, 403, 404, 409, 429, 503),
)
async def resend_delivery(
    request: Request[Any, Any, Any],
    delivery_id: FromPath[str],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    console: NamedDependency[Console],
) -> DeliveryResult:
    _, project = await _caller(request, auth, key_limits)
    return DeliveryResult(True, _delivery(await console.resend(project, delivery_id)))
