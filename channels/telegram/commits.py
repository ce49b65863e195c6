"""Committing handled updates, many in one transaction (group commit), as scheduler/marks.py
does for sent outbox rows.

A handled update's writes (its drafts, its answers, its inbox `done`: channels/telegram/
writes.py) are one unit. Units that come while a commit is under way go together in the next
one: every draft in one statement, every answer in one, every `done` in one. With several chats
handled side by side on SQLite's one writer, each update's commit was a turn of its own (four
trips to the driver's thread), and every other handler waited behind those turns
(docs/benchmarks.md, branch `tgfast`). `commit` returns only once its unit is committed, so
nothing is sent, and no update is taken as done, before that. If a group's transaction fails,
each unit of it is committed alone: one that cannot be committed never holds up the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.intake.inbox import Inbox
from channels.telegram.sender import TelegramSender
from channels.telegram.state import ChannelState
from channels.telegram.writes import QueuedAnswer, UpdateWrites
from store.db import Database, with_priority


@dataclass(frozen=True)
class _Unit:
    """One update's writes, and the inbox row to mark done with them (None: not done)."""

    writes: UpdateWrites
    done: int | None


class UpdateCommits:
    """Commits handled updates' writes in groups; `commit` returns once its own are in."""

    def __init__(
        self, db: Database, inbox: Inbox, state: ChannelState, sender: TelegramSender, clock: Clock
    ) -> None:
        self.db, self.inbox, self.state, self.sender, self.clock = db, inbox, state, sender, clock
        self._waiting: list[tuple[_Unit, asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None

    async def commit(self, writes: UpdateWrites, done: int | None = None) -> None:
        """Commit `writes` (and mark the inbox row `done`, if given) as one unit; returns when
        it is committed (raises if it could not be)."""
        if not writes and done is None:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((_Unit(writes, done), future))
        if self._committing is None or self._committing.done():
            # Urgent on SQLite's writer, as the handlers it commits for (store/db.py).
            self._committing = asyncio.create_task(
                self._commit_all(), name="telegram-commits", context=with_priority()
            )
        await asyncio.shield(future)  # a cancelled handler's unit is committed all the same

    async def _commit_all(self) -> None:
        """Commit what waits, then what came meanwhile, until nothing waits."""
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await self._write([unit for unit, _ in group])
            except Exception as exc:
                if len(group) == 1:
                    _settle(group[0][1], exc)
                    continue
                for unit, future in group:  # each alone: a unit that fails fails alone
                    try:
                        await self._write([unit])
                    except Exception as alone:
                        _settle(future, alone)
                    else:
                        _settle(future, None)
                continue
            for _, future in group:
                _settle(future, None)

    async def _write(self, units: Sequence[_Unit]) -> None:
        """The units' drafts, answers and `done` marks, in one transaction."""
        async with self.db.transaction() as session:
            await self._write_in(session, units, self.clock.now())

    async def _write_in(
        self, session: AsyncSession, units: Sequence[_Unit], now: dt.datetime
    ) -> None:
        drafts = [row for unit in units for row in unit.writes.drafts.values()]
        answers = [answer for unit in units for answer in unit.writes.answers]
        done = [unit.done for unit in units if unit.done is not None]
        await self.state.write_drafts(session, drafts)
        await self.sender.queue_answers(session, answers)
        await self.inbox.done_all_in(session, done, now)

    async def write_finished(
        self, session: AsyncSession, writes: UpdateWrites, *, done: int
    ) -> None:
        """Write `writes` and mark the inbox row `done` in the caller's transaction (an update
        that ends in the core's transaction: channels/telegram/writes.py, `finish_in`)."""
        await self._write_in(session, [_Unit(writes, done)], self.clock.now())

    async def rehearse(self, session: AsyncSession) -> None:
        """Run a group's statements once in `session` (the caller rolls it back): SQLAlchemy
        compiles a statement at its first execution, and the first updates after a start
        paid for that side by side, on the event loop."""
        now = self.clock.now()
        writes = UpdateWrites()
        writes.drafts[(0, 0)] = {"chat_id": 0, "user_id": 0, "language": "id", "flow": None,
                                 "step": None, "data": {}, "updated_at": now,
                                 "last_update_id": None}  # fmt: skip
        writes.answers.append(QueuedAnswer("loket-rehearsal", 0, "-", {}))
        await self._write_in(session, [_Unit(writes, 0)], now)


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
