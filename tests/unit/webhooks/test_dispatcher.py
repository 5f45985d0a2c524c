"""The dispatcher against real local receivers, real Redis and the real guarded client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest
from standardwebhooks import Webhook

from config.settings import FetchSettings, WebhookSettings
from devkit.servers import RedisProcess
from proxy.netguard import GuardedClient
from proxy.state import SharedState, StateUnavailable
from proxy.webhooks import Dispatcher, Outbox, new_delivery, receiver_secret, secret_key
from tests.support.state import make_state
from tests.unit.webhooks.conftest import FAST, Receiver, guarded, hang, status, until

SECRET = "whsec_" + "c2VjcmV0LWtleS1ieXRlcy0wMTIzNDU2Nzg5"
BODY = b'{"type":"render.completed","data":{"slug":"abc"}}'

Make = Callable[..., Dispatcher]


@pytest.fixture
def queue(state: SharedState) -> Outbox:
    return Outbox(state)


@pytest.fixture
async def make(client: GuardedClient) -> AsyncIterator[Make]:
    started: list[Dispatcher] = []

    def build(
        queue: Outbox,
        settings: WebhookSettings = FAST,
        via: GuardedClient = client,
        stop_grace: float = 5.0,
    ) -> Dispatcher:
        d = Dispatcher(queue, via, settings, stop_grace=stop_grace)
        d.start()
        started.append(d)
        return d

    yield build
    for d in started:
        await guarded(d.stop())


async def send(queue: Outbox, url: str) -> str:
    d = new_delivery(url, secret_key(SECRET), BODY)
    await queue.enqueue(d)
    return d.id


async def settled(queue: Outbox) -> None:
    """Wait until nothing is pending (the hang guard of `until`, for an async check)."""
    for _ in range(1500):
        if await queue.depth() == 0:
            return
        await asyncio.sleep(0.02)
    pytest.fail("the queue never drained")


async def test_delivery_is_signed_for_the_reference_library(
    queue: Outbox, receiver: Receiver, make: Make
) -> None:
    msg_id = await send(queue, receiver.url())
    d = make(queue)
    await until(lambda: d.stats.delivered == 1, "the delivery")
    (hit,) = receiver.hits
    assert hit.headers["webhook-id"] == msg_id
    assert hit.headers["Content-Type"] == "application/json"
    assert Webhook(SECRET).verify(hit.body, hit.headers) == json.loads(BODY)
    assert Webhook(receiver_secret(secret_key(SECRET))).verify(hit.body, hit.headers)
    await settled(queue)


async def test_a_500_then_200_is_retried_and_delivered_once(
    queue: Outbox, receiver: Receiver, make: Make
) -> None:
    receiver.script(500, 503, 200)
    msg_id = await send(queue, receiver.url())
    d = make(queue)
    await until(lambda: d.stats.delivered == 1, "the delivery")
    await settled(queue)
    assert len(receiver.hits) == 3
    assert {h.headers["webhook-id"] for h in receiver.hits} == {msg_id}
    for hit in receiver.hits:  # every attempt is signed afresh
        Webhook(SECRET).verify(hit.body, hit.headers)
    assert (d.stats.retried, d.stats.failed, d.stats.dead) == (2, 2, 0)


async def test_retry_after_is_honoured(queue: Outbox, receiver: Receiver, make: Make) -> None:
    receiver.script(status(429, {"Retry-After": "1"}), 200)
    await send(queue, receiver.url())
    d = make(queue)
    await until(lambda: d.stats.delivered == 1, "the delivery")
    first, second = receiver.hits
    # A lower bound only: our own backoff here is at most 0.05 s, so a gap of about a second
    # can only come from the receiver's Retry-After.
    assert second.at - first.at >= 0.9


@pytest.mark.parametrize("code", [400, 404, 410])
async def test_other_4xx_is_not_retried(
    code: int, queue: Outbox, receiver: Receiver, make: Make
) -> None:
    receiver.script(code)
    msg_id = await send(queue, receiver.url())
    d = make(queue)
    await until(lambda: d.stats.dead == 1, "the dead letter")
    (letter,) = await queue.dead_letters()
    assert (letter.id, letter.reason) == (msg_id, f"the receiver answered {code}")
    polls = d.stats.polls
    await until(lambda: d.stats.polls >= polls + 3, "three more polls")  # nothing more arrives
    assert len(receiver.hits) == 1
    assert await queue.depth() == 0


async def test_a_timeout_is_retried(queue: Outbox, receiver: Receiver, make: Make) -> None:
    receiver.script(hang(5.0), 200)
    await send(queue, receiver.url())
    d = make(queue)  # FAST.timeout is 1 s
    await until(lambda: d.stats.delivered == 1, "the delivery")
    assert d.stats.retried == 1
    assert len(receiver.hits) == 2


async def test_a_redirect_is_not_followed(queue: Outbox, receiver: Receiver, make: Make) -> None:
    receiver.script(status(307, {"Location": receiver.url("/elsewhere")}))
    await send(queue, receiver.url())
    d = make(queue)
    await until(lambda: d.stats.dead == 1, "the dead letter")
    assert receiver.on("/elsewhere") == []
    (letter,) = await queue.dead_letters()
    assert "redirects are not followed" in letter.reason


async def test_a_forbidden_address_is_dead_lettered_without_a_connection(
    queue: Outbox, receiver: Receiver, make: Make
) -> None:
    strict = await GuardedClient.create(FetchSettings(allow_private=False))
    try:
        await send(queue, receiver.url())
        d = make(queue, via=strict)
        await until(lambda: d.stats.dead == 1, "the dead letter")
    finally:
        await strict.close()
    assert receiver.hits == []
    (letter,) = await queue.dead_letters()
    assert "non-public address" in letter.reason


async def test_attempts_run_out_into_the_dead_letters(
    queue: Outbox, receiver: Receiver, make: Make
) -> None:
    receiver.script(502)
    await send(queue, receiver.url())
    d = make(queue)
    await until(lambda: d.stats.dead == 1, "the dead letter")
    assert len(receiver.hits) == FAST.max_attempts
    (letter,) = await queue.dead_letters()
    assert letter.reason.startswith(f"gave up after {FAST.max_attempts} attempts")


async def test_stopped_before_delivery_a_new_dispatcher_delivers_exactly_once(
    redis_server: RedisProcess, queue: Outbox, prefix: str, receiver: Receiver, make: Make
) -> None:
    first = make(queue)
    await guarded(first.stop())
    msg_id = await send(queue, receiver.url())  # lands while no dispatcher runs
    fresh = make_state(redis_server.url, prefix=prefix)  # as after a restart: a new client
    try:
        later = Outbox(fresh)
        d = make(later)
        await until(lambda: d.stats.delivered == 1, "the delivery")
        await settled(later)
        polls = d.stats.polls
        await until(lambda: d.stats.polls >= polls + 3, "three more polls")
    finally:
        await guarded(d.stop())
        await fresh.close()
    assert [h.headers["webhook-id"] for h in receiver.hits] == [msg_id]


async def test_a_crash_mid_delivery_is_redelivered_after_the_lease(
    queue: Outbox, receiver: Receiver, make: Make
) -> None:
    msg_id = await send(queue, receiver.url())
    # A worker claims it and dies: nothing is ever settled.
    (claimed,) = await queue.claim(10, 0.5)
    d = make(queue)
    await until(lambda: d.stats.delivered == 1, "the redelivery")
    assert [h.headers["webhook-id"] for h in receiver.hits] == [msg_id]
    assert not await queue.ack(claimed)  # the dead worker's claim is void


async def test_stop_cuts_off_a_hung_delivery_which_is_redelivered(
    queue: Outbox, receiver: Receiver, make: Make
) -> None:
    receiver.script(hang(30.0), 200)
    settings = msgspec.structs.replace(FAST, timeout=20.0, visibility_timeout=1.0)
    await send(queue, receiver.url())
    first = make(queue, settings, stop_grace=0.1)
    await until(lambda: len(receiver.hits) == 1, "the first attempt")
    await guarded(first.stop())
    second = make(queue)
    await until(lambda: second.stats.delivered == 1, "the redelivery")
    await settled(queue)


async def test_a_redis_outage_pauses_and_recovers(
    redis_process: RedisProcess, prefix: str, receiver: Receiver, make: Make
) -> None:
    state = make_state(redis_process.url, prefix=prefix, reset=0.1)
    try:
        q = Outbox(state)
        d = make(q)
        redis_process.stop()
        await until(lambda: d.stats.queue_errors >= 1, "a queue error")
        redis_process.start()
        await guarded(_retry_enqueue(q, receiver.url()))
        await until(lambda: d.stats.delivered == 1, "the delivery after recovery")
    finally:
        await guarded(d.stop())
        await state.close()


async def _retry_enqueue(q: Outbox, url: str) -> None:
    while True:
        try:
            await send(q, url)
            return
        except StateUnavailable:
            await asyncio.sleep(0.05)
