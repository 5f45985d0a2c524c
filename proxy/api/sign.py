"""POST /api/v2/sign: the signed render URL for a JSON body of fields (those of
`POST /api/v2/render`, plus `expires`), signed with the project's newest active signing key.
Nothing is rendered: the card is made by the URL's first request."""

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from proxy.api.schemas import MAX_BODY_BYTES, SignRequest, SignResult, error_responses
from proxy.custom_templates import CustomTemplates, is_custom
from proxy.keys import Authenticator
from proxy.limits.key_limiter import KeyLimiter
from proxy.signing import SigningKeys
from proxy.signing.make import sign_fields

__all__ = ["sign_url"]


@post(
    "/api/v2/sign",
    request_max_body_size=MAX_BODY_BYTES,
    status_code=200,
    summary="A signed render URL for these fields (for a meta tag; rendered on first request)",
    responses=error_responses(400, 401, 403, 404, 409, 413, 429, 503),
)
async def sign_url(
    request: Request[Any, Any, Any],
    data: JSONBody[SignRequest],
    auth: NamedDependency[Authenticator],
    key_limits: NamedDependency[KeyLimiter],
    signing_keys: NamedDependency[SigningKeys],
    templates: NamedDependency[CustomTemplates],
    public_url: NamedDependency[str],
) -> SignResult:
    key = await auth.authenticate(request.headers)
    project = auth.authorize(key, None)
    await key_limits.check(key)
    spec = data.spec()
    template = (
        await templates.template(project, spec.template) if is_custom(spec.template) else None
    )
    url = await sign_fields(
        signing_keys, public_url, project, spec, expires=data.expires, template=template
    )
    return SignResult(True, url)
