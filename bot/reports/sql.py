"""SQL building blocks shared by the reports: periods, local dates and months per dialect.

Instants are stored in UTC; reports count by the body's local calendar date (domain.md §1).
PostgreSQL converts with the time-zone name; SQLite has no zone database, so it shifts by the
zone's UTC offset, which is fixed for every Indonesian zone (no daylight saving since 1964).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import local_midnight
from bot.i18n import t


@dataclass(frozen=True)
class Period:
    """Local dates `start`..`end` inclusive, and the UTC instants [begin, until) they span."""

    start: dt.date
    end: dt.date
    begin: dt.datetime
    until: dt.datetime

    @classmethod
    def of(cls, start: dt.date, end: dt.date, tz: ZoneInfo) -> Period:
        """The period from `start` to `end` (inclusive) in time zone `tz`."""
        if end < start:
            raise ValueError("the period ends before it starts")
        return cls(
            start, end, local_midnight(start, tz), local_midnight(end + dt.timedelta(days=1), tz)
        )

    @classmethod
    def year(cls, year: int, tz: ZoneInfo) -> Period:
        """The calendar year `year` in time zone `tz`."""
        return cls.of(dt.date(year, 1, 1), dt.date(year, 12, 31), tz)

    def subtitle(self, body: str, language: str) -> str:
        """The line under every report's title: the body and the period it covers."""
        return t(
            "report.subtitle",
            language,
            body=body,
            start=self.start.isoformat(),
            end=self.end.isoformat(),
        )

    def contains(self, column: Any) -> ColumnElement[bool]:
        """SQL condition: the instant in `column` falls inside the period."""
        return (column >= self.begin) & (column < self.until)


def _sqlite_shift(tz: ZoneInfo) -> str:
    offset = dt.datetime(2000, 1, 1, tzinfo=tz).utcoffset() or dt.timedelta(0)
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def local_date(column: Any, dialect: str, tz: ZoneInfo) -> ColumnElement[Any]:
    """SQL expression for the local calendar date of the UTC instant in `column`."""
    if dialect == "postgresql":
        return func.date(func.timezone(tz.key, column))
    return func.date(column, _sqlite_shift(tz))


def local_month(column: Any, dialect: str, tz: ZoneInfo) -> ColumnElement[Any]:
    """SQL expression for the local month number (1-12) of the UTC instant in `column`."""
    if dialect == "postgresql":
        return cast(func.extract("month", func.timezone(tz.key, column)), Integer)
    return cast(func.strftime("%m", column, _sqlite_shift(tz)), Integer)


def local_year(column: Any, dialect: str, tz: ZoneInfo) -> ColumnElement[Any]:
    """SQL expression for the local calendar year of the UTC instant in `column`."""
    if dialect == "postgresql":
        return cast(func.extract("year", func.timezone(tz.key, column)), Integer)
    return cast(func.strftime("%Y", column, _sqlite_shift(tz)), Integer)


def as_date(value: Any) -> dt.date:
    """A date from what the driver returns (PostgreSQL: date; SQLite: 'YYYY-MM-DD' text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class Tally:
    """Many aggregates in one scan (conditional aggregation): each is an aggregate with its own
    FILTER (WHERE ...) clause, which both SQLite (>= 3.30) and PostgreSQL evaluate per row while
    reading the rows once."""

    def __init__(self) -> None:
        self._names: list[str] = []
        self._columns: list[Any] = []

    def add(self, name: str, aggregate: Any, where: Any = None) -> None:
        """Compute `aggregate` (COUNT(*), SUM(x), MAX(x) ...) over the rows matching `where`."""
        self._names.append(name)
        self._columns.append(aggregate if where is None else aggregate.filter(where))

    def count(self, name: str, where: Any = None) -> None:
        """Count the rows matching `where` (all rows when None)."""
        self.add(name, func.count(), where)

    async def run(self, session: AsyncSession, source: Any, where: Any) -> dict[str, Any]:
        """One SELECT of every aggregate over `source` rows matching `where`; None for an
        aggregate over no rows but COUNT, which is 0."""
        labelled = [c.label(f"a{i}") for i, c in enumerate(self._columns)]
        row = (await session.exec(select(*labelled).select_from(source).where(where))).one()
        return {name: value for name, value in zip(self._names, row, strict=True)}
