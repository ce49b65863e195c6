"""Injectable time: production reads the system clock, tests set it."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    """Something that tells the current instant (timezone-aware, UTC)."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current instant in UTC."""
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that stays where it is put; for tests and `loket scheduler preview`."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = ensure_aware(at)

    def now(self) -> dt.datetime:
        """The instant the clock was set to."""
        return self._at

    def set(self, at: dt.datetime) -> None:
        """Move the clock to `at`."""
        self._at = ensure_aware(at)

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock forward by `delta`."""
        self._at += delta


def ensure_aware(at: dt.datetime) -> dt.datetime:
    """Reject naive datetimes: a date without a zone cannot be compared with a deadline."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: give a timezone (deadlines are local dates)")
    return at.astimezone(dt.UTC)


def local_date(at: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The calendar date of instant `at` in the body's time zone."""
    return ensure_aware(at).astimezone(tz).date()


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant a local calendar day begins, in UTC."""
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)
