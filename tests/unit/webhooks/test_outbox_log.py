"""A project's recent-deliveries log and the re-send of a dead letter, on a real Redis."""

from __future__ import annotations

import orjson
import pytest

from proxy.errors import Conflict, NotFound
from proxy.state import SharedState
from proxy.webhooks import Outbox, new_delivery
from proxy.webhooks.record import Delivery

LEASE = 30.0


def event(slug: str, project: str = "acme") -> Delivery:
    payload = orjson.dumps({"type": "render.completed", "data": {"slug": slug}})
    return new_delivery(f"https://h.example/{slug}", b"key", payload, project=project)


async def claim_one(queue: Outbox) -> Delivery:
    (claimed,) = await queue.claim(1, LEASE)
    return claimed


async def test_a_delivery_is_logged_pending_then_with_each_outcome(state: SharedState) -> None:
    queue = Outbox(state)
    d = event("Slug00000001")
    await queue.enqueue(d)
    (line,) = await queue.deliveries("acme")
    assert (line.id, line.status, line.attempts, line.event, line.slug) == (
        d.id,
        "pending",
        0,
        "render.completed",
        "Slug00000001",
    )
    assert await queue.retry(await claim_one(queue), 0, "the receiver answered 503")
    (line,) = await queue.deliveries("acme")
    assert (line.status, line.attempts, line.last_error) == (
        "pending",
        1,
        "the receiver answered 503",
    )
    assert await queue.ack(await claim_one(queue))
    (line,) = await queue.deliveries("acme")
    assert (line.status, line.attempts) == ("delivered", 2)
    assert line.last_error == "the receiver answered 503"  # the story is kept
    assert await queue.deliveries("other") == []


async def test_a_dead_letter_is_resent_under_the_same_id_with_its_payload_and_key(
    state: SharedState,
) -> None:
    queue = Outbox(state)
    d = event("Slug00000002")
    await queue.enqueue(d)
    assert await queue.dead(await claim_one(queue), "the receiver answered 410")
    (line,) = await queue.deliveries("acme")
    assert (line.status, line.last_error) == ("dead", "the receiver answered 410")
    assert (line.secret, line.payload) == ("", b"")  # never handed out

    with pytest.raises(NotFound):
        await queue.resend("other", d.id)  # another project's delivery is not found
    with pytest.raises(NotFound):
        await queue.resend("acme", "msg_nope")
    queue.wakeup.clear()
    again = await queue.resend("acme", d.id)
    assert (again.id, again.status, again.attempts, again.resends) == (d.id, "pending", 0, 1)
    assert queue.wakeup.is_set()
    with pytest.raises(Conflict):
        await queue.resend("acme", d.id)  # pending now: nothing to re-send
    claimed = await claim_one(queue)
    assert (claimed.id, claimed.payload, claimed.secret, claimed.url, claimed.project) == (
        d.id,
        d.payload,
        d.secret,
        d.url,
        "acme",
    )
    assert claimed.attempt == 1  # a new series of attempts
    assert await queue.ack(claimed)
    (line,) = await queue.deliveries("acme")
    assert (line.status, line.resends) == ("delivered", 1)
    with pytest.raises(Conflict):
        await queue.resend("acme", d.id)  # delivered: nothing to re-send


async def test_the_log_keeps_the_newest_entries_only(state: SharedState) -> None:
    queue = Outbox(state, max_log=3)
    sent = [event(f"Slug0000000{n}") for n in range(5)]
    for d in sent:
        await queue.enqueue(d)
    lines = await queue.deliveries("acme")
    assert len(lines) == 3
    assert {line.id for line in lines} == {d.id for d in sent[2:]}
    records = await state.client.hlen(queue.log_keys("acme")[1])
    assert records == 3  # the entries of trimmed ids go too
    assert len(await queue.deliveries("acme", limit=2)) == 2


async def test_deliveries_without_a_project_are_not_logged(state: SharedState) -> None:
    queue = Outbox(state)
    await queue.enqueue(event("Slug00000009", project=""))
    assert await queue.ack(await claim_one(queue))
    assert await queue.deliveries("acme") == []
