"""The inbox of raw inbound updates, shared by every channel that is pushed or polled updates
(chat apps polled or calling a webhook): stored first, handled after, never lost or doubled.

The guarantee, in order:
1. `store` commits the raw update (keyed by the channel's id) before the channel is told it
   arrived (the next getUpdates offset, a webhook's 200). A re-delivery is ignored there.
2. `claim` hands this worker, per free lane (a chat), the earliest update not done, claimed
   for `claim_for` (`claimed_by`/`claimed_until`, set in one UPDATE; on PostgreSQL the rows
   are picked `FOR UPDATE SKIP LOCKED`). A lane with a live claim is not free: one chat's
   updates are handled in order and never two at once, by whichever worker, while different
   chats run side by side on every worker. `renew` extends the claims in hand.
3. `begin` counts the attempt (committed before the handler runs; or the claim counts it, one
   round trip less: `claim(..., counting=True)`, `Held.number`), `done` closes it, `failed`
   schedules a retry with a doubling delay, or after `max_attempts` marks it `dead` for
   officers to see and `retry`; each frees the lane. A worker killed mid-handler leaves the
   update pending and claimed: once the claim expires any worker handles it again, so handlers
   must be idempotent (unique external ids).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, and_, bindparam, delete, exists, func, or_, update
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.db import Database, conflict_insert
from store.models import InboundUpdate

PENDING, DONE, DEAD = "pending", "done", "dead"
ERROR_CHARS = 500  # of the last error kept for officers (a type and a message, no payload)
# The lane is free again; claimed_by stays, saying which worker handled the update last.
FREED: dict[str, Any] = {"claimed_until": None}
CLAIM_FOR = dt.timedelta(seconds=30)  # a claim not renewed for this long is taken again


def this_worker() -> str:
    """The name this process claims updates under: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[-64:]


@dataclass(frozen=True)
class Inbound:
    """One raw update as a channel received it."""

    channel: str
    external_id: str
    lane: str
    position: int
    payload: dict[str, Any]
    message_key: str | None = None


@dataclass(frozen=True)
class Held:
    """A stored update to handle now: its row id, raw payload and earlier attempts."""

    id: int
    external_id: str
    lane: str
    payload: dict[str, Any]
    attempts: int  # earlier attempts (not this one)
    last_error: str | None
    number: int = 0  # this attempt's number when the claim counted it (0: call `begin`)

    @property
    def interrupted(self) -> bool:
        """True when an earlier attempt started but never reported back (the process died)."""
        return self.attempts > 0 and self.last_error is None


# What a channel runs in a claim's transaction with the claimed updates (`Inbox.claim`).
Prepare = Callable[[AsyncSession, "list[Held]"], Awaitable[None]]


def _claim_statement(counting: bool = False) -> Any:
    """`Inbox.claim`'s UPDATE, built once (bound at each call: in_channel, at, at_most,
    by_worker, held_until, in_hand): a claim per finished lane is the inbox's most frequent
    statement.
    `counting`: it counts the attempt too (what `begin` does), in the same statement."""
    table = InboundUpdate.__table__  # type: ignore[attr-defined]
    u, other = table.alias("u"), table.alias("other")
    now = bindparam("at", type_=table.c.claimed_until.type)
    same_lane = and_(
        other.c.channel == u.c.channel, other.c.lane == u.c.lane, other.c.state == PENDING
    )
    earlier = or_(
        other.c.position < u.c.position,
        and_(other.c.position == u.c.position, other.c.id < u.c.id),
    )
    unclaimed = or_(u.c.claimed_until.is_(None), u.c.claimed_until <= now)
    pick = (
        core_select(u.c.id)
        .where(
            u.c.channel == bindparam("in_channel"),
            u.c.state == PENDING,
            u.c.next_attempt_at <= now,
            unclaimed,  # re-checked on the locked row: a claim committed meanwhile counts
            ~exists().where(same_lane, earlier),  # the lane's head
            ~exists().where(same_lane, other.c.claimed_until > now),  # the lane is free
            # not in the caller's hand (its claim ran out meanwhile): not taken, not counted
            u.c.lane.not_in(bindparam("in_hand", expanding=True)),
        )
        .order_by(u.c.id)
        .limit(bindparam("at_most", type_=Integer))
        .with_for_update(of=u, skip_locked=True)  # PostgreSQL; SQLite has one writer
        .cte("picked")  # run once: a rescanned `IN (... LIMIT n)` would pick more rows
    )
    until = bindparam("held_until", type_=table.c.claimed_until.type)
    counted = {"attempts": table.c.attempts + 1} if counting else {}
    return (
        update(table)
        .where(table.c.id == pick.c.id, table.c.state == PENDING)
        .values(claimed_by=bindparam("by_worker"), claimed_until=until, **counted)
        .returning(
            table.c.id,
            table.c.external_id,
            table.c.lane,
            table.c.payload,
            table.c.attempts,
            table.c.last_error,
        )
    )


_CLAIM = _claim_statement()
_CLAIM_COUNTING = _claim_statement(counting=True)
_INBOUND = InboundUpdate.__table__  # type: ignore[attr-defined]
_DONE_ALL = (
    update(_INBOUND)
    .where(_INBOUND.c.id.in_(bindparam("ids", expanding=True)))
    .values(state=DONE, payload=None, last_error=None, finished_at=bindparam("at"), **FREED)
)


@functools.cache
def _new_updates(dialect_name: str) -> Any:
    """`Inbox.store`'s INSERT, built once per dialect. No conflict target: the external id and
    the message key both mean "seen"; it returns the ids of the rows it inserted."""
    return conflict_insert(dialect_name, _INBOUND).on_conflict_do_nothing().returning(_INBOUND.c.id)


class Inbox:
    """Reads and writes of `inbound_updates`, each in its own short transaction."""

    def __init__(
        self,
        db: Database,
        *,
        max_attempts: int = 5,
        retry_base: dt.timedelta = dt.timedelta(seconds=10),
        retry_max: dt.timedelta = dt.timedelta(hours=1),
        claim_for: dt.timedelta = CLAIM_FOR,
        worker: str | None = None,
    ) -> None:
        self.db, self.max_attempts = db, max_attempts
        self.retry_base, self.retry_max = retry_base, retry_max
        self.claim_for, self.worker = claim_for, worker or this_worker()

    async def store(self, items: Sequence[Inbound], now: dt.datetime) -> int:
        """Commit every item not stored before (same external id or same message key) in one
        transaction; return how many were new. Only after this returns may the channel be told
        that the items arrived."""
        if not items:
            return 0
        rows = [
            {
                "channel": item.channel,
                "external_id": item.external_id,
                "message_key": item.message_key,
                "lane": item.lane,
                "position": item.position,
                "payload": item.payload,
                "state": PENDING,
                "attempts": 0,
                "received_at": now,
                "next_attempt_at": now,
            }
            for item in items
        ]
        # One INSERT for the batch (a getUpdates batch is at most 100 updates; SQLAlchemy
        # sends the rows as one multi-row VALUES).
        stmt = _new_updates(self.db.dialect)
        async with self.db.transaction() as session:
            result = await (await session.connection()).execute(stmt, rows)
            return len(result.all())

    async def claim(
        self,
        channel: str,
        now: dt.datetime,
        limit: int = 100,
        *,
        counting: bool = False,
        in_hand: Sequence[str] = (),
        then: Prepare | None = None,
    ) -> list[Held]:
        """Claim for this worker, until `now + claim_for`, the earliest pending update of up
        to `limit` free lanes, if it is due, and return them. A lane is free when none of its
        pending updates holds a live claim; a lane whose first update waits for a retry waits
        with it (a chat's order is kept). No two callers, in any process, get the same lane.
        `counting`: each claimed update's attempt is counted in the same commit, as `begin`
        would (its number is `Held.number`; the caller must not call `begin` too). Lanes in
        `in_hand` (the caller is still handling their head) are never claimed, even when
        that claim has run out: an attempt in hand is not counted twice. `then` runs in the
        claim's transaction with the claimed updates (the channel reads what their handlers
        will need first, one round trip less each); if it raises, nothing is claimed."""
        until = now + self.claim_for
        params = {"in_channel": channel, "at": now, "at_most": limit, "by_worker": self.worker,
                  "held_until": until, "in_hand": list(in_hand)}  # fmt: skip
        async with self.db.transaction() as session:
            conn = await session.connection()
            rows = (await conn.execute(_CLAIM_COUNTING if counting else _CLAIM, params)).all()
            counted = 1 if counting else 0  # RETURNING gives the attempts with this one counted
            held = [
                Held(
                    r.id,
                    r.external_id,
                    r.lane,
                    r.payload or {},
                    r.attempts - counted,
                    r.last_error,
                    r.attempts if counting else 0,
                )
                for r in sorted(rows, key=lambda r: r.id)
            ]
            if then is not None and held:
                await then(session, held)
        return held

    async def renew(self, row_ids: Sequence[int], now: dt.datetime) -> int:
        """Extend this worker's claims on `row_ids` to `now + claim_for`; return how many it
        still held (a claim that expired and was taken by another worker is not taken back)."""
        if not row_ids:
            return 0
        t = InboundUpdate
        stmt = (
            update(t)
            .where(
                col(t.id).in_(list(row_ids)),
                t.claimed_by == self.worker,
                t.state == PENDING,
                col(t.claimed_until).is_not(None),  # not one just finished (freed)
            )
            .values(claimed_until=now + self.claim_for)
        )
        async with self.db.transaction() as session:
            result = await session.exec(stmt)  # type: ignore[call-overload]
        return int(result.rowcount or 0)

    async def begin(self, row_id: int) -> int:
        """Count one more attempt (committed before the handler runs); return its number."""
        table = InboundUpdate.__table__  # type: ignore[attr-defined]
        stmt = (
            update(table)
            .where(table.c.id == row_id)
            .values(attempts=table.c.attempts + 1)
            .returning(table.c.attempts)
        )
        async with self.db.transaction() as session:
            return int((await (await session.connection()).execute(stmt)).scalar_one())

    async def done(self, row_id: int, now: dt.datetime) -> None:
        """Mark the update handled and drop its payload (it may hold personal data; the keys
        stay so that a re-delivery is still recognised)."""
        async with self.db.transaction() as session:
            await self.done_in(session, row_id, now)

    async def done_in(self, session: AsyncSession, row_id: int, now: dt.datetime) -> None:
        """`done`, in the caller's transaction: committed with what handling the update
        wrote, or not at all."""
        await _set_in(session, row_id, state=DONE, payload=None, last_error=None,
                      finished_at=now, **FREED)  # fmt: skip

    async def done_all_in(
        self, session: AsyncSession, row_ids: Sequence[int], now: dt.datetime
    ) -> None:
        """`done_in` for many updates, in one statement (built once: a Core UPDATE on the
        session's connection, without the ORM's search of the session for the rows)."""
        if row_ids:
            values = {"ids": list(row_ids), "at": now}
            await (await session.connection()).execute(_DONE_ALL, values)

    async def failed(
        self, row_id: int, error: str, now: dt.datetime, *, final: bool = False
    ) -> str:
        """Record a failed attempt: retry later (doubling delay), or `dead` after the last
        allowed attempt (or at once when `final`). Returns the new state."""
        async with self.db.session() as session:
            row = await session.get(InboundUpdate, row_id)
            attempts = row.attempts if row else self.max_attempts
        error = error[:ERROR_CHARS] or "error"
        if final or attempts >= self.max_attempts:
            await self._set(row_id, state=DEAD, last_error=error, finished_at=now, **FREED)
            return DEAD
        delay = min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_max)
        await self._set(row_id, last_error=error, next_attempt_at=now + delay, **FREED)
        return PENDING

    async def dead_letters(self, channel: str) -> list[InboundUpdate]:
        """Updates given up on, oldest first (for officers: list and retry)."""
        t = InboundUpdate
        stmt = select(t).where(t.channel == channel, t.state == DEAD).order_by(col(t.id))
        async with self.db.session() as session:
            return list((await session.exec(stmt)).all())

    async def retry(self, channel: str, row_id: int) -> bool:
        """Put a dead update back to be handled at once, with all its attempts anew; False if
        there is no such dead update."""
        t = InboundUpdate
        stmt = (
            update(t)
            .where(col(t.id) == row_id, t.channel == channel, t.state == DEAD)
            .values(
                state=PENDING,
                attempts=0,
                last_error=None,
                next_attempt_at=col(t.received_at),  # due at once, whatever the clock says
                finished_at=None,
                **FREED,
            )
        )
        async with self.db.transaction() as session:
            result = await session.exec(stmt)  # type: ignore[call-overload]
        return bool(result.rowcount)

    async def counts(self, channel: str) -> dict[str, int]:
        """How many updates are in each state."""
        t = InboundUpdate
        stmt = select(t.state, func.count()).where(t.channel == channel).group_by(t.state)
        async with self.db.session() as session:
            return {state: n for state, n in (await session.exec(stmt)).all()}

    async def prune(self, *, done_before: dt.datetime, dead_before: dt.datetime) -> int:
        """Forget handled updates finished before `done_before` (a re-delivery can no longer
        come) and dead ones before `dead_before` (their payload is personal data)."""
        t = InboundUpdate
        stmt = delete(t).where(
            or_(
                (t.state == DONE) & (col(t.finished_at) < done_before),
                (t.state == DEAD) & (col(t.finished_at) < dead_before),
            )
        )
        async with self.db.transaction() as session:
            result = await session.exec(stmt)  # type: ignore[call-overload]
        return int(result.rowcount or 0)

    async def _set(self, row_id: int, **values: Any) -> None:
        async with self.db.transaction() as session:
            await _set_in(session, row_id, **values)


async def _set_in(session: AsyncSession, row_id: int, **values: Any) -> None:
    """Set `values` on the update `row_id`, in the caller's transaction."""
    t = InboundUpdate
    await session.exec(update(t).where(col(t.id) == row_id).values(**values))  # type: ignore[call-overload]
