"""Working days taken, counted per distinct (start date, end date) pair.

Reports group cases by their local start and end dates in SQL; each distinct pair is counted
once, from a table of cumulative working days built with the calendar, so the cost grows with
the number of distinct date pairs (a few thousand a year at most), not with the cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from bot.calendar.workdays import WorkingCalendar
from bot.reports.sql import as_date

_MARGIN = dt.timedelta(days=366)


class DayCounter:
    """`WorkingCalendar.working_days_between` from a table of cumulative working days.

    The table covers the dates seen so far (grown on demand), so each date is looked up in the
    holiday calendar once: between(s, e) = rank(e) - rank(s), where rank(d) counts the working
    days up to and including d. Same result as working_days_between, in constant time.
    """

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar
        self._first: dt.date | None = None
        self._ranks: list[int] = []

    def _cover(self, low: dt.date, high: dt.date) -> None:
        first = self._first
        last = first + dt.timedelta(days=len(self._ranks) - 1) if first else None
        if first is not None and last is not None and first <= low and high <= last:
            return
        # Grow by a year beyond what is asked, so unsorted dates rebuild the table rarely.
        start = min(low, first) - _MARGIN if first else low - _MARGIN
        end = max(high, last) + _MARGIN if last else high + _MARGIN
        ranks, count, day = [], 0, start
        while day <= end:
            count += self._calendar.is_working_day(day)
            ranks.append(count)
            day += dt.timedelta(days=1)
        self._first, self._ranks = start, ranks

    def between(self, start: object, end: object) -> int:
        """Working days after local date `start` up to and including `end` (0 if not later)."""
        first, last = as_date(start), as_date(end)
        if last <= first:
            return 0
        self._cover(first, last)
        assert self._first is not None
        return self._ranks[(last - self._first).days] - self._ranks[(first - self._first).days]


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Round as people do on paper (1.25 -> 1.3), not banker's rounding."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass
class Durations:
    """How many cases took how many working days: count, sum, maximum and counts per limit."""

    limits: tuple[int, ...] = ()
    count: int = 0
    total: int = 0
    maximum: int = 0
    within: dict[int, int] = field(default_factory=dict)

    def add(self, days: int, cases: int = 1) -> None:
        """Record `cases` cases that each took `days` working days."""
        self.count += cases
        self.total += days * cases
        self.maximum = max(self.maximum, days)
        for limit in self.limits:
            if days <= limit:
                self.within[limit] = self.within.get(limit, 0) + cases

    def within_limit(self, limit: int) -> int:
        """Cases that took at most `limit` working days (`limit` must be one of `limits`)."""
        return self.within.get(limit, 0)

    def average(self, places: int = 1) -> float:
        """Mean working days, rounded half up; 0 when there are no cases."""
        if not self.count:
            return 0.0
        return float(round_half_up(Decimal(self.total) / Decimal(self.count), places))


def durations(
    pairs: Iterable[tuple[object, object, int]], counter: DayCounter, limits: tuple[int, ...] = ()
) -> Durations:
    """Durations from SQL rows of (start date, end date, number of cases)."""
    result = Durations(limits=limits)
    for start, end, cases in pairs:
        result.add(counter.between(start, end), int(cases))
    return result
