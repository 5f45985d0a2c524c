"""One suite for both DeliveryQueue backends: Redis (real server) and in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import msgspec
import pytest
from redis.asyncio import Redis

from proxy.webhooks import DeliveryQueue, LocalOutbox, RedisOutbox, new_delivery
from proxy.webhooks.record import Delivery

LEASE = 30.0


@pytest.fixture(params=["redis", "local"])
async def queue(
    request: pytest.FixtureRequest, redis: Redis, prefix: str
) -> AsyncIterator[DeliveryQueue]:
    if request.param == "redis":
        yield RedisOutbox(redis, prefix=prefix)
    else:
        yield LocalOutbox()


def item(n: int = 0) -> Delivery:
    return new_delivery(f"https://h.example/{n}", b"key", b'{"n":%d}' % n)


async def test_claim_hands_out_each_due_delivery_once_and_counts_the_attempt(
    queue: DeliveryQueue,
) -> None:
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


async def test_enqueue_is_idempotent_on_the_id(queue: DeliveryQueue) -> None:
    d = item()
    await queue.enqueue(d)
    await queue.enqueue(d)
    assert len(await queue.claim(10, LEASE)) == 1


async def test_an_unsettled_claim_falls_due_again_after_its_lease(queue: DeliveryQueue) -> None:
    await queue.enqueue(item())
    (first,) = await queue.claim(10, 0.2)
    assert await queue.claim(10, 0.2) == []  # hidden while leased
    await asyncio.sleep(0.3)
    (again,) = await queue.claim(10, LEASE)
    assert (again.id, again.attempt) == (first.id, 2)
    # The first claim was superseded: it may no longer settle the delivery.
    assert not await queue.ack(first)
    assert not await queue.retry(first, 0)
    assert not await queue.dead(first, "late")
    assert await queue.ack(again)


async def test_retry_reschedules_after_the_delay(queue: DeliveryQueue) -> None:
    await queue.enqueue(item())
    (d,) = await queue.claim(10, LEASE)
    assert await queue.retry(d, 0.2)
    assert await queue.claim(10, LEASE) == []
    await asyncio.sleep(0.3)
    (again,) = await queue.claim(10, LEASE)
    assert again.attempt == 2


async def test_dead_letters_keep_the_reason_but_not_the_secret(queue: DeliveryQueue) -> None:
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


async def test_redis_records_survive_a_new_client(redis_server: object, prefix: str) -> None:
    from tests.support.servers import RedisProcess

    assert isinstance(redis_server, RedisProcess)
    one = Redis.from_url(redis_server.url)
    d = item()
    await RedisOutbox(one, prefix=prefix).enqueue(d)
    await one.aclose()
    two = Redis.from_url(redis_server.url)
    try:
        q = RedisOutbox(two, prefix=prefix)
        (got,) = await q.claim(10, LEASE)
        assert got.id == d.id and got.payload == d.payload
        assert d.id.startswith("msg_")
    finally:
        await two.aclose()


async def test_redis_keys_share_one_hash_tag(redis: Redis, prefix: str) -> None:
    q = RedisOutbox(redis, prefix=prefix)
    tags = {k.split("{")[1].split("}")[0] for k in (q.due_key, q.records_key, q.dead_key)}
    assert tags == {"webhooks"}
