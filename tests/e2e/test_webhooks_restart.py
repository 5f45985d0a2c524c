"""A dispatcher process killed with SIGKILL mid-delivery loses nothing: another one delivers.

Real processes, real Redis, a real local receiver; the webhook queue is the only link
between the two dispatchers.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from aiohttp import web
from standardwebhooks import Webhook

from devkit.servers import RedisProcess, stop_process
from proxy.webhooks import Outbox, new_delivery, secret_key
from tests.support.state import make_state
from tests.unit.webhooks.conftest import Receiver, guarded, hang, receiver, until

pytestmark = pytest.mark.e2e

__all__ = ["receiver"]  # the fixture, imported to be used here

SECRET = "a plain caller secret"
BODY = b'{"type":"render.completed","data":{"slug":"abc"}}'

# One worker's dispatcher, as `ogedge serve` would run it, with a short lease so the test
# does not wait a minute for the killed process's claim to run out.
_DISPATCHER = """
import asyncio, sys
from config.settings import FetchSettings, WebhookSettings
from proxy.netguard import GuardedClient
from proxy.webhooks import Dispatcher, Outbox
from tests.support.state import make_state

async def main() -> None:
    client = await GuardedClient.create(FetchSettings(allow_private=True))
    queue = Outbox(make_state(sys.argv[1], prefix=sys.argv[2]))
    settings = WebhookSettings(
        timeout=20.0, visibility_timeout=2.0, retry_base=0.01, retry_max_delay=0.05,
        poll_interval=0.05,
    )
    Dispatcher(queue, client, settings).start()
    print("ready", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
def dispatchers(redis_server: RedisProcess) -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        stop_process(proc)


def spawn(url: str, prefix: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _DISPATCHER, url, prefix], stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    return proc


async def test_sigkill_mid_delivery_then_a_new_process_delivers(
    redis_server: RedisProcess,
    receiver: Receiver,
    dispatchers: list[subprocess.Popen[bytes]],
) -> None:
    prefix = f"e2e-{uuid.uuid4().hex[:12]}"
    state = make_state(redis_server.url, prefix=prefix)
    queue = Outbox(state)
    key = secret_key(SECRET)
    try:
        receiver.script(hang(60.0), _ok, _ok)
        hung = new_delivery(receiver.url(), key, BODY)
        await queue.enqueue(hung)
        first = await asyncio.to_thread(spawn, redis_server.url, prefix)
        dispatchers.append(first)
        await until(lambda: len(receiver.hits) == 1, "the first attempt")
        first.send_signal(signal.SIGKILL)
        first.wait()
        # Queued while no dispatcher runs at all.
        waiting = new_delivery(receiver.url(), key, BODY)
        await queue.enqueue(waiting)
        dispatchers.append(await asyncio.to_thread(spawn, redis_server.url, prefix))
        await until(lambda: len(receiver.hits) == 3, "both deliveries")
        for _ in range(1500):
            if await guarded(queue.depth()) == 0:
                break
            await asyncio.sleep(0.02)
        # Nothing left in the queue: no further delivery of anything can follow.
        assert await queue.depth() == 0
    finally:
        await state.close()
    ids = [h.headers["webhook-id"] for h in receiver.hits]
    assert sorted(ids) == sorted([hung.id, hung.id, waiting.id])
    verifier = Webhook(key)
    for hit in receiver.hits:
        assert verifier.verify(hit.body, hit.headers) == json.loads(BODY)


async def _ok(_: web.Request) -> web.StreamResponse:
    return web.Response(status=200)
