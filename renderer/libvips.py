"""libvips start-up checks: version floor and the untrusted-loader block.

Done once per process before the first decode, because asset bytes come from the internet and
libvips ships loaders (e.g. ImageMagick, PDF, Matlab) that were never meant for hostile input.
Not at import: `ogedge doctor` imports the renderer and must be able to report an old libvips.
`render` and `decode_fitted` call it first; the server calls it once per worker at start-up.
"""

from __future__ import annotations

import os
import threading

import pyvips

from .errors import RuntimeUnsupported

__all__ = ["MIN_LIBVIPS", "check_runtime", "libvips_version"]

MIN_LIBVIPS = (8, 18)

_lock = threading.Lock()
_checked = False


def libvips_version() -> tuple[int, int, int]:
    """The libvips version actually loaded (not the one pyvips was built against)."""
    return (pyvips.version(0), pyvips.version(1), pyvips.version(2))


def check_runtime() -> None:
    """Assert libvips >= 8.18 and block untrusted loaders; cheap after the first call."""
    global _checked
    if _checked:
        return
    with _lock:
        if _checked:
            return
        # The environment variable covers libvips instances started later in child processes;
        # the call covers this one, which is already initialised by `import pyvips`.
        os.environ["VIPS_BLOCK_UNTRUSTED"] = "1"
        version = libvips_version()
        if version[:2] < MIN_LIBVIPS:
            raise RuntimeUnsupported(
                f"libvips {'.'.join(map(str, version))} found; ogedge needs >= "
                f"{'.'.join(map(str, MIN_LIBVIPS))}"
            )
        pyvips.block_untrusted_set(True)
        # Identical specs are deduplicated by the server, so libvips' operation cache would
        # mostly hold one-off text rasters; keep it small so memory stays bounded.
        pyvips.cache_set_max(64)
        pyvips.cache_set_max_mem(32 * 1024 * 1024)
        _checked = True
