"""A signal that table rows changed on this node, for the coroutines waiting on it.

A mutation written to the log waits until its effect shows in this node's copy of a
table. The effect arrives by the fold agent (on the node that owns the partition) or
through the changelog (on a node with a standby copy); both ``notify``, and waiters
re-check their condition then, instead of polling the table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Changed:
    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        """Wake every waiter to re-check its condition."""
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def on_changelog_event(self, event: Any) -> None:
        """Faust's per-record changelog callback (``Table(on_changelog_event=...)``).

        Faust calls it before it writes the record to the table (in the same turn of
        the loop), so the waiters are woken on the next turn, once the row is there.
        """
        if self._waiters:
            asyncio.get_running_loop().call_soon(self.notify)

    async def until(self, check: Callable[[], T | None], timeout: float) -> T:
        """``check()``'s first result that is not None, re-checked at each notify.

        Raises TimeoutError after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while (found := check()) is None:
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
                try:
                    await waiter
                finally:
                    self._waiters.discard(waiter)
        return found

    async def until_read(self, check: Callable[[], Awaitable[T | None]], timeout: float, poll: float) -> T:
        """As ``until``, for a ``check`` that reads (maybe from another node, whose
        writes do not notify here): re-checked at each notify and every ``poll`` s."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            while (found := await check()) is None:
                waiter: asyncio.Future[None] = loop.create_future()
                self._waiters.add(waiter)
                try:
                    await asyncio.wait([waiter], timeout=poll)
                finally:
                    self._waiters.discard(waiter)
        return found
