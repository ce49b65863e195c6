"""Office hours for officers and quiet hours for requesters, on the real calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from app.settings import Settings
from bot.notify.send_windows import in_office_hours, next_office_time, next_requester_time
from bot.workflow.rules import Rules, build_calendar

WIB = dt.timezone(dt.timedelta(hours=7))
RULES = Rules(Settings(_env_file=None), build_calendar(Settings(_env_file=None)))  # type: ignore[call-arg]


def wib(*args: int) -> dt.datetime:
    """A WIB instant."""
    return dt.datetime(*args, tzinfo=WIB)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(2026, 1, 5, 9, 0), wib(2026, 1, 5, 9, 0)),  # Monday morning: now
        (wib(2026, 1, 5, 7, 59), wib(2026, 1, 5, 8, 0)),  # before opening: 08:00
        (wib(2026, 1, 5, 16, 0), wib(2026, 1, 6, 8, 0)),  # closing time: next day
        (wib(2026, 1, 9, 17, 0), wib(2026, 1, 12, 8, 0)),  # Friday evening: Monday
        (wib(2026, 1, 15, 18, 0), wib(2026, 1, 19, 8, 0)),  # Isra Mi'raj Friday skipped
        (wib(2025, 3, 27, 16, 30), wib(2025, 4, 8, 8, 0)),  # the Lebaran 2025 closures
    ],
)
def test_next_office_time(now: dt.datetime, expected: dt.datetime) -> None:
    assert next_office_time(now, RULES) == expected
    assert in_office_hours(next_office_time(now, RULES), RULES)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (wib(2026, 1, 10, 20, 59), wib(2026, 1, 10, 20, 59)),  # Saturday evening is fine
        (wib(2026, 1, 10, 21, 0), wib(2026, 1, 11, 6, 0)),
        (wib(2026, 1, 11, 0, 30), wib(2026, 1, 11, 6, 0)),
        (wib(2026, 1, 11, 6, 0), wib(2026, 1, 11, 6, 0)),
    ],
)
def test_next_requester_time(now: dt.datetime, expected: dt.datetime) -> None:
    assert next_requester_time(now, RULES) == expected
