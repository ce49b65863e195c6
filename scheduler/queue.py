"""The outbox as one queue per (channel, recipient): which rows may be claimed now.

A recipient's head is its earliest unsent row by (not_before, id). Only a due head is claimed,
and none of a recipient with a row in flight (`sending`, lease not yet over), so one
recipient's messages go out one at a time and in order, whichever worker claims them
(PostgreSQL: `FOR UPDATE SKIP LOCKED`; a head another worker is claiming is locked, and the rows
behind it are not heads). A quiet-hours row held until later is simply not the head yet.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, exists, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from store.enums import OutboxStatus
from store.models import OutboxMessage

UNSENT = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


def heads_due(
    channels: Sequence[str],
    cutoff: dt.datetime,
    now: dt.datetime,
    match: Mapping[str, Any] | None = None,
    purposes: Sequence[str] = (),
    *,
    limit: int,
    lock: bool = False,
) -> tuple[SelectOfScalar[OutboxMessage], dict[str, Any]]:
    """The due head rows (at most `limit`) of every recipient on `channels` whose columns equal
    `match` (e.g. case_id and purpose, or channel and recipient), oldest first; a lease that ran
    out makes its row due again. With `purposes`, the heads among the rows of those purposes:
    they may go ahead of the recipient's other pending rows, never beside one in flight. `lock`:
    FOR UPDATE SKIP LOCKED (PostgreSQL). The statement and the values to execute it with: the
    statement is built once per shape, so SQLAlchemy computes its cache key once."""
    match = dict(match or {})
    stmt = _heads_statement(tuple(channels), tuple(sorted(match)), tuple(purposes), lock)
    return stmt, {"cutoff": cutoff, "now": now, "limit": limit, **match}


@functools.lru_cache(maxsize=64)
def _heads_statement(
    channels: tuple[str, ...], match: tuple[str, ...], purposes: tuple[str, ...], lock: bool
) -> SelectOfScalar[OutboxMessage]:
    row, other = OutboxMessage, aliased(OutboxMessage)
    earlier = or_(
        col(other.not_before) < col(row.not_before),
        and_(col(other.not_before) == col(row.not_before), col(other.id) < col(row.id)),
    )
    only = [getattr(row, name) == bindparam(name) for name in match]
    if purposes:
        earlier = and_(earlier, col(other.purpose).in_(purposes))
        only.append(col(row.purpose).in_(purposes))
    ahead = or_(
        and_(
            col(other.status) == OutboxStatus.SENDING.value,
            col(other.not_before) > bindparam("now"),
        ),
        earlier,
    )
    blocked = exists().where(
        col(other.channel) == col(row.channel),
        col(other.recipient) == col(row.recipient),
        col(other.status).in_(UNSENT),
        col(other.id) != col(row.id),
        ahead,
    )
    stmt = (
        select(row)
        .where(
            col(row.channel).in_(channels),
            col(row.status).in_(UNSENT),
            col(row.not_before) <= bindparam("cutoff"),
            ~blocked,
            *only,
        )
        .order_by(col(row.not_before), col(row.id))
        .limit(bindparam("limit", type_=Integer))
    )
    return stmt.with_for_update(skip_locked=True, of=OutboxMessage) if lock else stmt


async def due_behind(
    session: AsyncSession,
    channel: str,
    recipient: str,
    cutoff: dt.datetime,
    heads: Sequence[int],
    purposes: Sequence[str] = (),
) -> bool:
    """Whether the recipient has an unsent row due by `cutoff` (of `purposes`, if given) other
    than the `heads` just claimed: a row that becomes its next head once they are sent. Read on
    the session's connection: what the session holds unflushed is not seen (the claim writes
    its heads with Core statements)."""
    values: dict[str, Any] = {"channel": channel, "recipient": recipient, "cutoff": cutoff,
                              "heads": list(heads)}  # fmt: skip
    if purposes:
        values["purposes"] = list(purposes)
    stmt = _behind_statement(bool(purposes))
    return (await (await session.connection()).execute(stmt, values)).first() is not None


@functools.cache
def _behind_statement(of_purposes: bool) -> Select[tuple[int]]:
    """due_behind's statement, built once per shape (the values are bound)."""
    table = _OUTBOX
    stmt = sa_select(table.c.id).where(
        table.c.channel == bindparam("channel"),
        table.c.recipient == bindparam("recipient"),
        table.c.status.in_(UNSENT),
        table.c.not_before <= bindparam("cutoff"),
        table.c.id.not_in(bindparam("heads", expanding=True)),
    )
    if of_purposes:
        stmt = stmt.where(table.c.purpose.in_(bindparam("purposes", expanding=True)))
    return stmt.limit(1)


async def take_heads(
    session: AsyncSession, rows: Sequence[OutboxMessage], lease_end: dt.datetime
) -> None:
    """Mark the claimed head `rows` `sending` until `lease_end`, one attempt more, in one
    statement; the objects carry the stored values (nothing is left for the session to
    flush)."""
    if not rows:
        return
    ids = [row.id for row in rows]
    await (await session.connection()).execute(_TAKE, {"ids": ids, "lease": lease_end})
    for row in rows:
        set_committed_value(row, "status", OutboxStatus.SENDING.value)
        set_committed_value(row, "not_before", lease_end)
        set_committed_value(row, "attempts", row.attempts + 1)


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_TAKE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        status=OutboxStatus.SENDING.value,
        not_before=bindparam("lease"),
        attempts=_OUTBOX.c.attempts + 1,
    )
)


async def keep_behind(session: AsyncSession, row: OutboxMessage) -> None:
    """`row` was put back to wait: the recipient's later pending rows wait at least as long,
    so they stay behind it."""
    await (await session.connection()).execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.channel) == row.channel,
            col(OutboxMessage.recipient) == row.recipient,
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
            col(OutboxMessage.id) > row.id,
            col(OutboxMessage.not_before) < row.not_before,
        )
        .values(not_before=row.not_before)
        .execution_options(synchronize_session=False)
    )


async def overtakes(
    session: AsyncSession,
    row: OutboxMessage,
    queued: dt.datetime,
    now: dt.datetime,
    purposes: Sequence[str] = (),
) -> bool:
    """Whether `row` (its place in the queue `queued`, before it was claimed) would go ahead of
    a due pending row of its recipient queued before it (of `purposes`, if given)."""
    other = OutboxMessage
    ahead = [
        col(other.channel) == row.channel,
        col(other.recipient) == row.recipient,
        col(other.status) == OutboxStatus.PENDING.value,
        col(other.not_before) <= now,
        or_(
            col(other.not_before) < queued,
            and_(col(other.not_before) == queued, col(other.id) < row.id),
        ),
    ]
    if purposes:
        ahead.append(col(other.purpose).in_(purposes))
    return (await session.exec(select(other.id).where(*ahead).limit(1))).first() is not None
