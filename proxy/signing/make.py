"""Making a signed render URL for fields, as `ogedge sign` and `POST /api/v2/sign` do: the
fields are checked first (the URL would only fail later), then signed with the project's
newest active key."""

from __future__ import annotations

import time

import msgspec

import renderer
from proxy.errors import Conflict, InvalidInput
from proxy.signing.canonical import signed_url
from proxy.signing.keys import SigningKeys

__all__ = ["NoSigningKey", "sign_fields"]


class NoSigningKey(Conflict):
    code = "no_signing_key"


async def sign_fields(
    keys: SigningKeys,
    public_url: str,
    project: str,
    spec: renderer.RenderSpec,
    *,
    expires: int | None = None,
    template: renderer.Template | None = None,
) -> str:
    """The URL `<public_url>/og/<project>/<template>?…&sig=…`. Raises SpecError (bad fields),
    InvalidInput (expires in the past), NoSigningKey."""
    renderer.normalize(spec, template)  # the same checks the URL will meet
    if expires is not None and expires <= time.time():
        raise InvalidInput("expires must be a Unix time in the future", "expires")
    active = [k for k in await keys.list(project) if k.active]
    if not active:
        raise NoSigningKey(
            f"project {project!r} has no signing key: ogedge projects signing-key create {project}",
            "project",
        )
    default = renderer.RenderSpec(title="-", template=spec.template)
    encoded = msgspec.to_builtins(spec)
    fields = {
        name: str(value)
        for name, value in encoded.items()
        if name != "template" and value != msgspec.to_builtins(default).get(name)
    }
    fields["title"] = spec.title  # required, even when it equals the placeholder
    if expires is not None:
        fields["expires"] = str(expires)
    secret = keys.secret_of(active[-1])
    return signed_url(public_url, secret, f"/og/{project}/{spec.template}", fields)
