"""What runs in a render process (proxy/render_pool.py): its set-up, and the call it serves.

Kept apart from the server's modules: a render process imports only this and the renderer,
never the web stack, so it starts fast and holds little memory.
"""

from __future__ import annotations

import os

__all__ = ["start"]


def start() -> None:
    """Process initializer: one libvips thread per render process (the pool is the
    parallelism), and the libvips check and template registry done before the first card."""
    os.environ["VIPS_CONCURRENCY"] = "1"
    import renderer

    renderer.check_runtime()
    renderer.available_templates()  # parse every built-in template once, now
