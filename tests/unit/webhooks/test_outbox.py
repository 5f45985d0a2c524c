"""The webhook outbox on a real Redis: claims, leases, settling, dead letters, durability."""

from __future__ import annotations

import msgspec

from devkit.servers import RedisProcess
from proxy.state import SharedState
from proxy.webhooks import Outbox, new_delivery
from proxy.webhooks.record import Delivery
from tests.support.state import make_state
from tests.unit.webhooks.conftest import eventually

LEASE = 30.0


def item(n: int = 0) -> Delivery:
    return new_delivery(f"https://h.example/{n}", b"key", b'{"n":%d}' % n)


async def test_claim_hands_out_each_due_delivery_once_and_counts_the_attempt(
    state: SharedState,
) -> None:
    queue = Outbox(state)
    sent = [item(n) for n in range(3)]
    for d in sent:
        await queue.enqueue(d)
    assert queue.wakeup.is_set()
    first = await queue.claim(2, LEASE)
    rest = await queue.claim(10, LEASE)
    assert await queue.claim(10, LEASE) == []
    got = first + rest
    assert sorted(d.id for d in got) == sorted(d.id for d in sent)
    assert all(d.attempt == 1 for d in got)
    by_id = {d.id: d for d in sent}
    for d in got:
        assert (d.url, d.payload, d.secret) == (
            by_id[d.id].url,
            by_id[d.id].payload,
            by_id[d.id].secret,
        )
    assert await queue.depth() == 3  # in flight still counts
    for d in got:
        assert await queue.ack(d)
    assert await queue.depth() == 0


async def test_enqueue_is_idempotent_on_the_id(state: SharedState) -> None:
    queue = Outbox(state)
    d = item()
    await queue.enqueue(d)
    await queue.enqueue(d)
    assert len(await queue.claim(10, LEASE)) == 1


async def test_an_unsettled_claim_falls_due_again_after_its_lease(state: SharedState) -> None:
    queue = Outbox(state)
    await queue.enqueue(item())
    (first,) = await queue.claim(10, 0.2)
    assert await queue.claim(10, 0.2) == []  # hidden while leased
    again: list[Delivery] = []

    async def due_again() -> bool:
        again.extend(await queue.claim(10, LEASE))
        return bool(again)

    await eventually(due_again, "the lease to run out")
    assert (again[0].id, again[0].attempt) == (first.id, 2)
    # The first claim was superseded: it may no longer settle the delivery.
    assert not await queue.ack(first)
    assert not await queue.retry(first, 0)
    assert not await queue.dead(first, "late")
    assert await queue.ack(again[0])


async def test_retry_reschedules_after_the_delay(state: SharedState) -> None:
    queue = Outbox(state)
    await queue.enqueue(item())
    (d,) = await queue.claim(10, LEASE)
    assert await queue.retry(d, 0.5)
    assert await queue.claim(10, LEASE) == []  # not before its delay
    again: list[Delivery] = []

    async def due_again() -> bool:
        again.extend(await queue.claim(10, LEASE))
        return bool(again)

    await eventually(due_again, "the retry to fall due")
    assert again[0].attempt == 2


async def test_dead_letters_keep_the_reason_but_not_the_secret(state: SharedState) -> None:
    queue = Outbox(state)
    d = item(7)
    await queue.enqueue(d)
    (claimed,) = await queue.claim(10, LEASE)
    assert await queue.dead(claimed, "the receiver answered 404")
    assert await queue.depth() == 0
    (letter,) = await queue.dead_letters()
    assert (letter.id, letter.reason, letter.attempts, letter.payload) == (
        d.id,
        "the receiver answered 404",
        1,
        d.payload,
    )
    assert "secret" not in msgspec.structs.asdict(letter)


async def test_records_survive_a_new_client(redis_server: RedisProcess, prefix: str) -> None:
    one = make_state(redis_server.url, prefix=prefix)
    d = item()
    await Outbox(one).enqueue(d)
    await one.close()
    two = make_state(redis_server.url, prefix=prefix)
    try:
        (got,) = await Outbox(two).claim(10, LEASE)
        assert got.id == d.id and got.payload == d.payload
        assert d.id.startswith("msg_")
    finally:
        await two.close()


async def test_keys_share_one_hash_tag(state: SharedState) -> None:
    q = Outbox(state)
    tags = {k.split("{")[1].split("}")[0] for k in (q.due_key, q.records_key, q.dead_key)}
    assert tags == {"webhooks"}
    assert all(k.startswith(state.prefix + ":") for k in (q.due_key, q.records_key))
