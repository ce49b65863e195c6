"""The sweep's one question per reminder kind: which cases crossed this milestone today and have
no sent-reminder row for it. Asked in SQL on stored, indexed dates, so a tick reads the cases
that are due, not every open one.

A milestone falls a number of working days from a stored date of the case (its due date, its
receipt, the start of its follow-up clock). Which milestone is a case's current one depends on
that date alone, so the working-day arithmetic runs here once per calendar date, not once per
case: `milestone_runs` walks the dates from today and groups those with the same current
milestone into runs, and each run becomes one range condition on the stored column. The rows
found are few; the job then builds each reminder with the same functions as before, which keep
the exact texts, anchors and recipients.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, select
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
)
BATCH = 5000  # rows or reminders handled at a time, so a tick's memory does not grow with N
SCAN_DAYS = 400  # how far from today a milestone can lie (REMINDER_DAYS_BEFORE and the like)


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


@dataclass(frozen=True)
class Run:
    """Stored dates `lo`..`hi` (inclusive; None = unbounded) whose current milestone is `kind`."""

    kind: str
    lo: dt.date | None
    hi: dt.date | None

    def where(self, column: Any) -> ColumnElement[bool]:
        """SQL condition: `column` lies in the run."""
        parts = []
        if self.lo is not None:
            parts.append(column >= self.lo)
        if self.hi is not None:
            parts.append(column <= self.hi)
        return and_(*parts)


def milestone_runs(
    kind_on: Callable[[dt.date], str | None],
    today: dt.date,
    *,
    backwards: bool,
    final: str | None = None,
) -> list[Run]:
    """The runs of stored dates by current milestone kind (`kind_on(date)`, None = none yet).

    Forwards (a due date): from today until the first date with no milestone reached; the kinds
    change as the date moves away. Backwards (a start date): from today into the past, where
    the last run, holding every older date, is left open; it starts where the walk first
    meets `final`, the kind of a date with every milestone reached.
    """
    step = dt.timedelta(days=-1 if backwards else 1)
    runs: list[tuple[str, dt.date, dt.date]] = []
    day = today
    for _ in range(SCAN_DAYS):
        kind = kind_on(day)
        if kind is None and not backwards:
            break
        if kind is not None:
            if runs and runs[-1][0] == kind and runs[-1][2] == day - step:
                runs[-1] = (kind, runs[-1][1], day)
            else:
                runs.append((kind, day, day))
        if backwards and kind is not None and kind == final:
            break
        day += step
    if not backwards:
        return [Run(kind, first, last) for kind, first, last in runs]
    found = [Run(kind, last, first) for kind, first, last in runs]
    if found:
        found[-1] = Run(found[-1].kind, None, found[-1].hi)
    return found


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
