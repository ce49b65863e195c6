"""Working days taken: the cumulative table agrees with the calendar; rounding is half up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.calendar.workdays import WorkingCalendar
from bot.reports.sql import Period
from bot.reports.workdays import DayCounter, durations, round_half_up


def test_day_counter_matches_the_calendar() -> None:
    calendar = WorkingCalendar()
    counter = DayCounter(calendar)
    start = dt.date(2024, 12, 20)
    for offset in (21, 0, 49, 7):  # out of order: the table grows both ways
        for length in (0, 1, 5, 17, 40):
            a = start + dt.timedelta(days=offset)
            b = a + dt.timedelta(days=length)
            assert counter.between(a, b) == calendar.working_days_between(a, b)
            assert counter.between(b, a) == 0
    assert counter.between("2025-03-24", "2025-04-14") == 8  # Lebaran week: all closed


def test_durations_from_grouped_rows() -> None:
    counter = DayCounter(WorkingCalendar())
    # Mon 6 -> Wed 8 January 2025: 2; 6 -> 30 January: 15 (27 Isra Mi'raj, 28 cuti bersama
    # and 29 Imlek are closed)
    rows = [("2025-01-06", "2025-01-08", 3), (dt.date(2025, 1, 6), dt.date(2025, 1, 30), 1)]
    taken = durations(rows, counter, (10, 17))
    assert (taken.count, taken.total, taken.maximum) == (4, 3 * 2 + 15, 15)
    assert (taken.within_limit(10), taken.within_limit(17)) == (3, 4)
    assert taken.average() == 5.3  # 21 / 4 = 5.25: half up, not to even


def test_round_half_up_and_periods() -> None:
    assert round_half_up(Decimal("1.25"), 1) == Decimal("1.3")
    assert round_half_up(Decimal("24.75"), 1) == Decimal("24.8")
    period = Period.year(2024, ZoneInfo("Asia/Jakarta"))
    assert period.begin == dt.datetime(2023, 12, 31, 17, 0, tzinfo=dt.UTC)
    assert period.until == dt.datetime(2024, 12, 31, 17, 0, tzinfo=dt.UTC)
