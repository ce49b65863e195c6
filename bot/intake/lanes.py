"""Working off one channel's inbox: each lane (a chat) strictly in order, many lanes at once.

Any channel that stores raw updates in the inbox (bot/intake/inbox.py) hands its handler to a
`LaneWorker`. The worker keeps up to `concurrency` lanes in flight; a lane is never handled by
two tasks at once, so one chat's updates run one after the other in their stored order, while a
slow chat (a big upload, a retry) holds up only itself. There is no round barrier: as soon as a
lane's update is done, that lane's next update, or another lane's, starts.

Every worker process runs one: lanes are claimed in the store (`Inbox.claim`), so two workers
never hold one lane, and the claims in hand are renewed while their handlers run (every third
of the claim's time). A worker that dies stops renewing; its lanes are taken again when the
claims expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable

from bot.intake.inbox import Held, Inbox, Prepare

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
        counting: bool = False,
        prepare: Prepare | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.inbox, self.channel, self.handle, self.now = inbox, channel, handle, now
        self.concurrency, self.idle_wait, self.before_round = concurrency, idle_wait, before_round
        self.counting = counting  # the claim counts each attempt (`Held.number`), not `begin`
        self.prepare = prepare  # run in the claim's transaction (`Inbox.claim`, `then`)
        self._wake = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._held: dict[str, int] = {}  # lane -> the id of the update in hand
        self._renewed = time.monotonic()

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
            full = await self._start_free_lanes()
            if self._stopping:
                break
            waiting: set[asyncio.Future[object]] = set(self._in_flight.values())
            woken = asyncio.ensure_future(self._wake.wait())
            waiting.add(woken)
            # The claim took all it was allowed and slots are left: more lanes may be due, look
            # again at once. A claim that took fewer took every due lane there was: wait for a
            # lane to finish, a wake-up (new updates stored), or a retry coming due (an empty
            # claim at once was one more turn of the store's writer per update, for nothing).
            more = full and len(self._in_flight) < self.concurrency
            timeout = 0 if more else self.idle_wait
            with contextlib.suppress(TimeoutError):
                await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            woken.cancel()
            self._wake.clear()
        if self._in_flight:
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    async def _start_free_lanes(self) -> bool:
        """Claim and start the due heads of free lanes; True when the claim took as many as it
        was allowed (more may be due)."""
        await self._renew()
        free = self.concurrency - len(self._in_flight)
        if free <= 0:
            return False
        try:
            claimed = await self.inbox.claim(
                self.channel,
                self.now(),
                limit=free,
                counting=self.counting,
                in_hand=list(self._in_flight),
                then=self.prepare,
            )
        except Exception:
            log.exception("reading the %s inbox failed", self.channel)
            return False
        for item in claimed:
            if item.lane in self._in_flight:
                continue  # a guard: the claim skips lanes in hand (`in_hand`)
            task = asyncio.create_task(self._run_one(item), name=f"{self.channel}-{item.lane}")
            self._in_flight[item.lane] = task
            self._held[item.lane] = item.id
        return len(claimed) >= free

    async def _renew(self) -> None:
        """Extend the claims in hand every third of the claim's time."""
        every = self.inbox.claim_for.total_seconds() / 3
        if not self._held or time.monotonic() - self._renewed < every:
            return
        self._renewed = time.monotonic()
        try:
            await self.inbox.renew(list(self._held.values()), self.now())
        except Exception:
            log.exception("renewing the %s inbox claims failed", self.channel)

    async def _run_one(self, item: Held) -> None:
        try:
            await self.handle(item)
        except Exception:  # the handler records its own outcome; this is a last guard
            log.exception("handling %s update %s failed", self.channel, item.external_id)
        finally:
            self._in_flight.pop(item.lane, None)
            self._held.pop(item.lane, None)
            self._wake.set()
