"""The factory Granian imports in each worker: settings come from the environment, which
`ogedge serve` has already validated and filled from its flags."""

from __future__ import annotations

import logging

import config
import renderer
from proxy.app import OgEdge, create_app
from proxy.observe import logs as observe_logs

__all__ = ["create"]


def create() -> OgEdge:
    # Fail fast: a worker on a too-old libvips must not start (importing the renderer no
    # longer checks, so that `ogedge doctor` can report it instead of crashing).
    renderer.check_runtime()
    renderer.preload_templates()  # a broken built-in template fails the worker at start-up
    settings = config.load()
    app = create_app(settings)
    # After the app: Litestar installs its own root handler when it is built. One JSON object
    # per line (ts, level, logger, msg, request_id, extras), Litestar's own records included.
    observe_logs.configure(settings.server.log_level, adopt=("litestar",))
    # libvips reports every threadpool it finishes at INFO: one line per render is noise.
    logging.getLogger("pyvips").setLevel(logging.WARNING)
    return app
