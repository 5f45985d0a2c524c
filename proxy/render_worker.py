"""What runs in a render process (proxy/render_pool.py): its set-up, and the call it serves.

Kept apart from the server's modules: a render process imports only this and the renderer,
never the web stack, so it starts fast and holds little memory.
"""

from __future__ import annotations

import os

__all__ = ["NICENESS", "start"]


# Below the server workers (nice 0): when renders and /i/ compete for a core, the event loop
# answering hits wins, and a render only waits a little longer (issue 11, point 4).
NICENESS = 5


def start() -> None:
    """Process initializer: one libvips thread per render process (the pool is the
    parallelism), a lower CPU priority, and the libvips check and template registry done
    before the first card."""
    os.environ["VIPS_CONCURRENCY"] = "1"
    os.nice(NICENESS)
    import renderer

    renderer.check_runtime()
    renderer.preload_templates()  # parse every built-in template once, now
