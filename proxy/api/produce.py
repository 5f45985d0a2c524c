"""The part both generation APIs share: count a new render against the quota (refunded if it
fails), render in the bounded pool, store image and record, tell this worker's caches."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec

import renderer
from proxy.api.runtime import ApiRuntime
from proxy.observe import metrics
from proxy.publish import publish
from proxy.records import SpecRecord

__all__ = ["counted", "render_and_store"]


@asynccontextmanager
async def counted(api: ApiRuntime, project: str) -> AsyncIterator[None]:
    """A new render for `project`: 429 over the monthly quota; only stored renders count."""
    await api.quotas.take(project, await api.auth.project_quota(project))
    try:
        yield
    except BaseException:
        await api.quotas.give_back(project)
        raise


async def render_and_store(
    api: ApiRuntime,
    *,
    slug: str,
    project: str,
    spec: renderer.RenderSpec,
    revision: int,
    assets: dict[str, bytes],
    asset_keys: dict[str, str],
    template: renderer.Template | None = None,
    source: dict[str, str] | None = None,
) -> SpecRecord:
    rendered = await api.pool.run(
        renderer.render, spec, renderer.Assets(**assets), template=template
    )
    metrics.observe_render(rendered.template, rendered.elapsed_ms / 1000)
    record = SpecRecord(
        slug=slug,
        project=project,
        spec=msgspec.to_builtins(spec),
        format=spec.format,
        template_version=rendered.template_version,
        revision=revision,
        created=time.time(),
        assets=asset_keys,
        source=source or {},
    )
    await publish(api.storage, record, rendered.data)
    api.catalog.forget(slug)  # this worker may remember the slug as missing
    return record
