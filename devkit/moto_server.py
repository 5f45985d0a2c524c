"""moto's S3 server, with one defect of the fake fixed: it makes a new object visible before
setting its metadata (`put_object`, then `set_metadata`), so a reader racing an overwrite can
see the new bytes with no metadata. Real S3 replaces object and metadata atomically, and
ogedge relies on that, so here every key operation is serialised.

    python -m devkit.moto_server -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from moto.s3.responses import S3Response
from moto.server import main

_lock = threading.RLock()
_key_response = S3Response.key_response


def _atomic_key_response(self: S3Response, *args: Any, **kwargs: Any) -> Any:
    with _lock:
        return _key_response(self, *args, **kwargs)


S3Response.key_response = _atomic_key_response  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
