"""Indonesian working days (hari kerja) and statutory due dates (domain.md §1).

A working day is Monday-Friday that is neither a national holiday (libur nasional) nor, by
default, a cuti bersama, as the `holidays` package lists them, adjusted by the body's own
overrides (extra closures; dates worked despite a cuti bersama).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import holidays

# Imported with this module, at start-up: `holidays.country_holidays("ID")` imports the country
# registry (every country, ~55-100 ms) at its first call, which was the first case a `loket
# run` opened, with the event loop stopped for every chat in flight (docs/benchmarks.md,
# branch `tgfile`).
from holidays.countries.indonesia import Indonesia

from bot.i18n import t

_HOLIDAY_LANGUAGE = {"id": "id", "en": "en_US"}
_MAX_SCAN_DAYS = 3660  # ten years: no statutory period comes close
_WEEKEND_KEYS = {5: "calendar.saturday", 6: "calendar.sunday"}

# Answers a calendar keeps before it forgets them all (a few years of days and due dates).
_MAX_ANSWERS = 20_000


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day passed over while counting, with the reason in words."""

    date: dt.date
    name: str


@dataclass(frozen=True)
class DueDateExplanation:
    """A due date and every non-working day skipped on the way to it."""

    start: dt.date
    days: int
    due: dt.date
    skipped: tuple[SkippedDay, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form: `{"due": "YYYY-MM-DD", "skipped": [{"date", "name"}, ...]}`."""
        return {
            "start": self.start.isoformat(),
            "days": self.days,
            "due": self.due.isoformat(),
            "skipped": [{"date": s.date.isoformat(), "name": s.name} for s in self.skipped],
        }


@dataclass(frozen=True)
class WorkingCalendar:
    """Decides which dates are working days and counts working days between dates."""

    cuti_bersama_closed: bool = True
    closed: Mapping[dt.date, str] = field(default_factory=dict)
    opened: frozenset[dt.date] = frozenset()
    language: str = "id"

    @cached_property
    def _national(self) -> holidays.HolidayBase:
        categories = ("public", "government") if self.cuti_bersama_closed else ("public",)
        return Indonesia(categories=categories, language=_HOLIDAY_LANGUAGE.get(self.language, "id"))

    @cached_property
    def _answers(self) -> dict[tuple[object, ...], object]:
        # What this calendar (immutable) has worked out already: closure names by day, due
        # dates by (start, days). A backlog's cases share a handful of receipt days.
        return {}

    def _remember(self, key: tuple[object, ...], value: object) -> None:
        if len(self._answers) >= _MAX_ANSWERS:
            self._answers.clear()
        self._answers[key] = value

    def closure_name(self, day: dt.date) -> str | None:
        """Why `day` is not a working day, or None when it is one.

        A national holiday on a weekend shows both, e.g. "Hari Suci Nyepi (Sabtu)", so an
        explanation never hides a holiday behind the weekday name.
        """
        key = ("closure", day)
        if key in self._answers:
            return self._answers[key]  # type: ignore[return-value]
        name = self._closure_name(day)
        self._remember(key, name)
        return name

    def _closure_name(self, day: dt.date) -> str | None:
        if day in self.opened:
            return None
        if day in self.closed:
            return self.closed[day] or t("calendar.closed_by_body", self.language)
        holiday = self._national.get(day)
        holiday = "; ".join(sorted(set(holiday.split("; ")))) if holiday else None
        weekend = _WEEKEND_KEYS.get(day.weekday())
        if weekend is None:
            return holiday
        weekday = t(weekend, self.language)
        if holiday is None:
            return weekday
        return t("calendar.holiday_on_weekend", self.language, holiday=holiday, weekday=weekday)

    def is_working_day(self, day: dt.date) -> bool:
        """True when offices are open on `day` (a weekday not closed by holiday or override)."""
        return self.closure_name(day) is None

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (day 0 is the day of receipt).

        A start on a weekend or holiday is not counted, so counting starts from the next working
        day (domain.md §1). `days == 0` gives the first working day on or after `start`.
        """
        return self.explain(start, days).due

    def explain(self, start: dt.date, days: int) -> DueDateExplanation:
        """The due date `days` working days after `start`, with every skipped day named."""
        if days < 0:
            raise ValueError("days must be zero or more")
        key = ("due", start, days)
        if key not in self._answers:
            self._remember(key, self._explain(start, days))
        return self._answers[key]  # type: ignore[return-value]

    def _explain(self, start: dt.date, days: int) -> DueDateExplanation:
        skipped: list[SkippedDay] = []
        day, counted = start, 0
        if days == 0:
            while (name := self.closure_name(day)) is not None:
                skipped.append(SkippedDay(day, name))
                day += dt.timedelta(days=1)
            return DueDateExplanation(start, days, day, tuple(skipped))
        for _ in range(_MAX_SCAN_DAYS):
            day += dt.timedelta(days=1)
            name = self.closure_name(day)
            if name is None:
                counted += 1
                if counted == days:
                    return DueDateExplanation(start, days, day, tuple(skipped))
            else:
                skipped.append(SkippedDay(day, name))
        raise ValueError("no working day found within ten years")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after `start` up to and including `end` (0 if end <= start).

        This is the inverse of `add_working_days`: `working_days_between(s, add(s, n)) == n`.
        """
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def working_days_in(self, days: Iterable[dt.date]) -> list[dt.date]:
        """The working days among `days`, in the given order."""
        return [d for d in days if self.is_working_day(d)]

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the first working day after it."""
        return self.add_working_days(day, 0)
