"""Closing a part at shutdown within a bound, whatever the part does with cancellation.

`asyncio.wait_for` is not enough: it cancels the close on timeout and then waits for the
cancellation to finish, so a close that ignores it (or a loop whose cancellation was lost)
holds shutdown for ever. Here the close is abandoned after the bound instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

__all__ = ["CLOSE_TIMEOUT", "bounded"]

log = logging.getLogger("ogedge")
CLOSE_TIMEOUT = 15.0


async def bounded(
    close: Callable[[], Awaitable[object]], what: str, within: float = CLOSE_TIMEOUT
) -> None:
    """Await `close()` for at most `within` s; past it, cancel it without waiting and log.
    An exception from the close propagates (it finished, badly)."""
    task = asyncio.ensure_future(close())
    done, _ = await asyncio.wait({task}, timeout=within)
    if done:
        task.result()
        return
    task.cancel()  # not awaited: that wait is what could last for ever
    log.error("shutdown: closing the %s took over %.0f s; abandoned", what, within)
