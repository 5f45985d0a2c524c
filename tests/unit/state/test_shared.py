"""SharedState.call: the one guarded Redis call (deadline, breaker, StateUnavailable)."""

from __future__ import annotations

import asyncio

import pytest

from devkit.servers import RedisProcess
from proxy.state import BreakerState, SharedState, StateUnavailable
from tests.support.state import make_state


async def test_a_healthy_call_returns_its_result_and_keys_carry_prefix_and_tag(
    shared_state: SharedState,
) -> None:
    key = shared_state.key("quota", "acme", "202601")
    assert key == f"{shared_state.prefix}:quota:{{acme}}:202601"
    client = shared_state.client
    assert await shared_state.call(lambda: client.set(key, b"1")) is True
    assert await shared_state.call(lambda: client.get(key)) == b"1"
    assert shared_state.breaker.state is BreakerState.CLOSED


async def test_frozen_redis_raises_within_the_deadline_then_the_breaker_skips(
    redis_process: RedisProcess,
) -> None:
    state = make_state(redis_process.url, timeout=0.2, failures=2, reset=30.0)
    client = state.client
    await state.call(lambda: client.set("k", b"v"))
    redis_process.freeze()
    try:
        for _ in range(2):
            # The hang guard is generous: the point is that the call returns at all, since a
            # frozen peer never times out a socket on its own.
            with pytest.raises(StateUnavailable):
                await asyncio.wait_for(state.call(lambda: client.get("k")), 10)
        assert state.breaker.state is BreakerState.OPEN
        skipped = state.breaker.skipped
        with pytest.raises(StateUnavailable, match="circuit open"):
            await state.call(lambda: client.get("k"))
        assert state.breaker.skipped == skipped + 1
    finally:
        redis_process.thaw()
        await state.close()


async def test_a_stopped_redis_is_unavailable_and_a_probe_recovers(
    redis_process: RedisProcess,
) -> None:
    state = make_state(redis_process.url, timeout=0.2, failures=1, reset=0.01)
    client = state.client
    redis_process.stop()
    with pytest.raises(StateUnavailable):
        await state.call(lambda: client.get("k"))
    assert state.breaker.state is not BreakerState.CLOSED
    redis_process.start()
    deadline = asyncio.get_running_loop().time() + 10
    while True:  # the breaker lets one probe through once its reset period has passed
        try:
            await state.call(lambda: client.ping())
            break
        except StateUnavailable:
            assert asyncio.get_running_loop().time() < deadline, "never recovered"
            await asyncio.sleep(0.02)
    assert state.breaker.state is BreakerState.CLOSED
    await state.close()


async def test_errors_that_are_not_redis_failures_pass_through(shared_state: SharedState) -> None:
    async def bug() -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await shared_state.call(bug)
    assert shared_state.breaker.failures == 0


def test_ping_bypasses_the_breaker(redis_server: RedisProcess) -> None:
    async def run() -> None:
        state = make_state(redis_server.url)
        for _ in range(5):
            state.breaker.failure(None)
        assert state.breaker.state is BreakerState.OPEN
        await state.ping(2.0)  # a probe tells the truth even while the breaker is open
        await state.close()

    asyncio.run(run())


async def test_a_cancel_that_arrives_as_the_call_finishes_is_not_lost(
    shared_state: SharedState,
) -> None:
    # A loop stopped by cancel() must stop even when its Redis reply lands in the same
    # iteration (Python 3.11's wait_for returned the result instead: gh-86296).
    reply: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    waiting = asyncio.Event()

    async def op() -> int:
        waiting.set()  # and then suspends on the reply, before the test runs again
        return await reply

    task = asyncio.create_task(shared_state.call(op))
    await waiting.wait()
    reply.set_result(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
