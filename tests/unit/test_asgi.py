"""The worker factory refuses to build an app on a too-old libvips (fail fast at start-up)."""

from __future__ import annotations

import pytest
import pyvips

from proxy import asgi
from renderer import RuntimeUnsupported, libvips


def test_create_fails_fast_on_an_old_libvips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyvips, "version", lambda flag: (8, 10, 0)[flag])
    monkeypatch.setattr(libvips, "_checked", False)
    with pytest.raises(RuntimeUnsupported, match=r"needs >= 8\.18"):
        asgi.create()
