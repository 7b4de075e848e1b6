"""The eager delivery of ``streams.adapters.faust``: a coroutine run inline, finished as a task would."""

from __future__ import annotations

import asyncio

import pytest

from streams.adapters.faust import start_eagerly


async def test_a_coroutine_that_never_suspends_is_done_inline() -> None:
    seen: list[str] = []

    async def deliver() -> None:
        seen.append("delivered")

    assert start_eagerly(deliver()) is None
    assert seen == ["delivered"]


async def test_an_error_before_any_suspension_propagates() -> None:
    async def deliver() -> None:
        raise ValueError("bad message")

    with pytest.raises(ValueError, match="bad message"):
        start_eagerly(deliver())


async def test_a_suspended_coroutine_is_finished_with_what_it_waited_for() -> None:
    room: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    seen: list[str] = []

    async def deliver() -> str:
        seen.append("started")
        seen.append(await room)
        await asyncio.sleep(0)  # a bare yield: one turn of the loop
        return "done"

    rest = start_eagerly(deliver())
    assert rest is not None and seen == ["started"]
    task = asyncio.ensure_future(rest)
    await asyncio.sleep(0)
    assert not task.done()
    room.set_result("room")
    assert await task == "done"
    assert seen == ["started", "room"]


async def test_the_coroutine_takes_the_exception_of_what_it_waited_for() -> None:
    failing: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def deliver() -> str:
        try:
            await failing
        except KeyError as exc:
            return f"handled {exc}"
        return "not raised"

    rest = start_eagerly(deliver())
    assert rest is not None
    failing.set_exception(KeyError("k"))
    assert await rest == "handled 'k'"


async def test_cancelling_the_rest_cancels_what_the_coroutine_waits_on() -> None:
    """What Faust's race needs: a rebalance cancels a delivery blocked on a full queue."""
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    queue.put_nowait(1)
    seen: list[str] = []

    async def deliver() -> None:
        try:
            await queue.put(2)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    rest = start_eagerly(deliver())
    assert rest is not None
    task = asyncio.ensure_future(rest)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]
    assert queue.qsize() == 1
    # The queue lost its waiting putter: the next put goes in once there is room.
    queue.get_nowait()
    queue.put_nowait(3)
    assert queue.get_nowait() == 3


async def test_a_yield_that_is_not_a_future_is_an_error_in_the_coroutine() -> None:
    class Odd:
        def __await__(self):  # type: ignore[no-untyped-def]
            yield "not a future"

    async def deliver() -> None:
        await Odd()

    rest = start_eagerly(deliver())
    assert rest is not None
    with pytest.raises(RuntimeError, match="not a future"):
        await rest
