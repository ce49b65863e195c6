"""Working off one channel's inbox: each lane (a chat) strictly in order, many lanes at once.

Any channel that stores raw updates in the inbox (bot/intake/inbox.py) hands its handler to a
`LaneWorker`. The worker keeps up to `concurrency` lanes in flight; a lane is never handled by
two tasks at once, so one chat's updates run one after the other in their stored order, while a
slow chat (a big upload, a retry) holds up only itself. There is no round barrier: as soon as a
lane's update is done, that lane's next update, or another lane's, starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from bot.intake.inbox import Held, Inbox

log = logging.getLogger(__name__)

IDLE_WAIT = 1.0  # seconds to sleep when nothing is due (a retry may come due meanwhile)


class LaneWorker:
    """Hands the due head of every free lane of `channel` to `handle`, at most `concurrency`
    at a time, until `stop()`."""

    def __init__(
        self,
        inbox: Inbox,
        channel: str,
        handle: Callable[[Held], Awaitable[None]],
        now: Callable[[], dt.datetime],
        *,
        concurrency: int = 1,
        idle_wait: float = IDLE_WAIT,
        before_round: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.inbox, self.channel, self.handle, self.now = inbox, channel, handle, now
        self.concurrency, self.idle_wait, self.before_round = concurrency, idle_wait, before_round
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        # Updates finished while a heads query may still have seen them pending: id -> the
        # finish count when they finished. A query that began after that cannot return them.
        self._finished: dict[int, int] = {}
        self._finish_count = 0

    def wake(self) -> None:
        """Look for work now (new updates were stored)."""
        self._wake.set()

    async def stop(self) -> None:
        """Take no new update; wait for the ones in hand to finish."""
        self._stopping = True
        self._wake.set()
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def run(self) -> None:
        """The loop: start free lanes' heads, then wait for a lane to finish or a wake-up."""
        while not self._stopping:
            if self.before_round is not None:
                await self.before_round()
            started = await self._start_free_lanes()
            if self._stopping:
                break
            waiting: set[asyncio.Future[object]] = set(self._in_flight.values())
            woken = asyncio.ensure_future(self._wake.wait())
            waiting.add(woken)
            # Started some and slots are left: more lanes may be due, look again at once.
            # Otherwise wait for a lane to finish, a wake-up, or a retry coming due.
            more = started and len(self._in_flight) < self.concurrency
            timeout = 0 if more else self.idle_wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            woken.cancel()
            self._wake.clear()
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _start_free_lanes(self) -> int:
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        query_began = self._finish_count
        try:
            # heads of lanes in flight come back too (their update is not done): ask for more
            heads = await self.inbox.heads(
                self.channel, self.now(), limit=free + len(self._in_flight) + len(self._finished)
            )
        except Exception:
            log.exception("reading the %s inbox failed", self.channel)
            return 0
        started = 0
        for item in heads:
            if started == free:
                break
            if item.lane in self._in_flight or item.id in self._finished:
                continue  # in hand, or done after the query read it as pending
            task = asyncio.create_task(self._run_one(item), name=f"{self.channel}-{item.lane}")
            self._in_flight[item.lane] = task
            started += 1
        self._finished = {i: n for i, n in self._finished.items() if n > query_began}
        return started

    async def _run_one(self, item: Held) -> None:
        try:
            await self.handle(item)
        except Exception:  # the handler records its own outcome; this is a last guard
            log.exception("handling %s update %s failed", self.channel, item.external_id)
        finally:
            self._finish_count += 1
            self._finished[item.id] = self._finish_count
            self._in_flight.pop(item.lane, None)
            self._wake.set()
