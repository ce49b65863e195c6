"""The sweep's questions, asked in SQL on stored, indexed dates, so a tick reads the cases that
are due, not every open one.

The officer reminders (and the complaint auto-close) ask one thing per job: which cases have
come to their stored next day (`reminder_next_on <= today`, `due_batches`). Each case read is
then settled in Python (its current milestone or overdue day, claimed in sent_reminders) and
its next day moved on (`look_again`) in the transaction of the claims, so a tick with nothing
new to send reads nothing. The weekly progress update works the same way on `progress_next_on`.

The survey and the rating requests ask which cases closed in a window and have no
sent-reminder row (`unreminded`). The working-day arithmetic of a sweep is remembered for the
tick (`MemoCalendar`): it asks the same few questions for many cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, exists, select, tuple_, update
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from store.models import Case, SentReminder

# What building a reminder reads of a case: never the personal fields or the long texts.
CASE_FIELDS = (
    col(Case.id),
    col(Case.reference),
    col(Case.kind),
    col(Case.status),
    col(Case.channel),
    col(Case.language),
    col(Case.requester_id),
    col(Case.unit_id),
    col(Case.assigned_officer_id),
    col(Case.received_at),
    col(Case.completed_at),
    col(Case.due_date),
    col(Case.extended_at),
    col(Case.disposed_at),
    col(Case.reopened_at),
    col(Case.followed_up_at),
    col(Case.closed_at),
    col(Case.progress_next_on),
    col(Case.followup_from_on),
    col(Case.reminder_next_on),
)
# What the next reminder day of a case follows from; `look_again` leaves a case whose values
# changed since it was read (its write stamped the day afresh, and that stamp stands).
LOOK_GUARD = ("reminder_next_on", "status", "due_date", "followup_from_on", "followed_up_at")
BATCH = 5000  # rows or reminders handled at a time, so a tick's memory does not grow with N


class MemoCalendar:
    """A working-day calendar whose answers are remembered for one tick: a sweep asks the same
    few questions (days from today to a due date, a date plus n working days) for many cases."""

    def __init__(self, calendar: Any) -> None:
        self._calendar = calendar
        self._memo: dict[tuple[object, ...], Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._calendar, name)

    def _recall(self, key: tuple[object, ...], answer: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = answer()
        return self._memo[key]

    def is_working_day(self, day: dt.date) -> bool:
        """As WorkingCalendar.is_working_day, remembered."""
        return self._recall(("w", day), lambda: self._calendar.is_working_day(day))

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """As WorkingCalendar.add_working_days, remembered."""
        return self._recall(
            ("a", start, days), lambda: self._calendar.add_working_days(start, days)
        )

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """As WorkingCalendar.working_days_between, remembered."""
        return self._recall(
            ("b", start, end), lambda: self._calendar.working_days_between(start, end)
        )


def unreminded(kind: str, anchor: Any) -> ColumnElement[bool]:
    """SQL condition: the case has no sent-reminder row (`kind`, `anchor`)."""
    return ~exists().where(
        SentReminder.case_id == Case.id,
        SentReminder.kind == kind,
        SentReminder.anchor == anchor,
    )


async def case_rows(session: AsyncSession, *where: Any) -> Sequence[Row[Any]]:
    """The cases matching `where`, as rows of CASE_FIELDS in id order."""
    return [row async for batch in case_batches(session, *where) for row in batch]


async def case_batches(
    session: AsyncSession, *where: Any, size: int = BATCH
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The cases matching `where` as rows of CASE_FIELDS in id order, `size` at a time (the
    driver holds the plain tuples; rows are made a batch at a time)."""
    await session.flush()
    stmt = select(*CASE_FIELDS).where(*where).order_by(col(Case.id))
    result = await (await session.connection()).execute(stmt)
    for batch in result.partitions(size):
        yield batch


async def keyset_batches(
    session: AsyncSession, order: Any, *where: Any, size: int = BATCH
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The cases matching `where` as rows of CASE_FIELDS in (`order`, id) order, `size` at a
    time: each page is a query resuming after the last row of the page before, so with an index
    on the columns `where` fixes, then `order`, a page reads its own rows only, nothing is held
    between pages and what the job writes between them is never read twice."""
    await session.flush()
    conn = await session.connection()
    pk = col(Case.id)
    after: tuple[Any, Any] | None = None
    while True:
        stmt = select(*CASE_FIELDS).where(*where)
        if after is not None:
            stmt = stmt.where(tuple_(order, pk) > tuple_(*after))
        rows = (await conn.execute(stmt.order_by(order, pk).limit(size))).all()
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1]
        after = (getattr(last, order.key), last.id)


async def due_batches(
    session: AsyncSession, today: dt.date, kind: str, statuses: Sequence[str], *where: Any
) -> AsyncIterator[Sequence[Row[Any]]]:
    """The cases of `kind` in `statuses` matching `where` whose next reminder day has come, a
    batch at a time: per status, an index range of ix_cases_sweep_next_reminder (kind,
    status, reminder_next_on), empty when nothing new is due."""
    day = col(Case.reminder_next_on)
    for status in statuses:
        fixed = (col(Case.kind) == kind, col(Case.status) == str(status), day <= today)
        async for batch in keyset_batches(session, day, *fixed, *where):
            yield batch


async def look_again(session: AsyncSession, moves: Sequence[tuple[Any, dt.date | None]]) -> None:
    """Set each case's `reminder_next_on` to the day given (a row of CASE_FIELDS and its next
    day), unless the case changed since the row was read."""
    if not moves:
        return
    table = Case.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("pk"),
            *(table.c[c].is_not_distinct_from(bindparam(f"was_{c}")) for c in LOOK_GUARD),
        )
        .values(reminder_next_on=bindparam("next_on"))
    )
    params = [
        {"pk": row.id, "next_on": on, **{f"was_{c}": getattr(row, c) for c in LOOK_GUARD}}
        for row, on in moves
    ]
    await (await session.connection()).execute(stmt, params)
