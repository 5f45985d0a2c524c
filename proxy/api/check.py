"""GET /api/v2/check?url=: how a page will look when shared, per platform (the report of
`ogedge check --json`).

It fetches the page, its robots.txt and its images on the caller's behalf, so it is no open
proxy: an API key is required and counted against its rate limit before any fetch, the fetches
go through the guarded client (public addresses only, capped sizes and deadlines), and the
answer is the verdict, never the fetched bytes.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from proxy.api.schemas import error_responses
from proxy.check import PageChecker, Report
from proxy.keys import Authenticator
from proxy.limits.key_limiter import KeyLimiter

__all__ = ["check_url"]


@get(
    "/api/v2/check",
    summary="How a page will look when shared (Facebook, X, LinkedIn, Slack, Discord, …)",
    description=(
        "Fetches the page, its robots.txt and its og:image / twitter:image, and reports per "
        "platform what it will show and what it rejects. status is the worst platform's: fail "
        "when a platform will not show the preview (or its image) as intended."
    ),
    responses=error_responses(400, 401, 422, 429, 503),
)
async def check_url(
    request: Request[Any, Any, Any],
    url: Annotated[
        str, Parameter(min_length=1, max_length=2048, description="the page, an http(s) URL")
    ],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    checker: NamedDependency[PageChecker],
) -> Report:
    key = await auth.authenticate(request.headers)
    await key_limits.check(key)
    return await checker.check_page(url)
