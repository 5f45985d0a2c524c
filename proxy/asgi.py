"""The factory Granian imports in each worker: settings come from the environment, which
`ogedge serve` has already validated and filled from its flags."""

from __future__ import annotations

import logging

import config
from proxy.app import OgEdge, create_app

__all__ = ["create"]


def create() -> OgEdge:
    settings = config.load()
    logging.basicConfig(
        level=settings.server.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    # libvips reports every threadpool it finishes at INFO: one line per render is noise.
    logging.getLogger("pyvips").setLevel(logging.WARNING)
    return create_app(settings)
