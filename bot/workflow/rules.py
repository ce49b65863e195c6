"""What every workflow step needs to know: the settings and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calendar.workdays import WorkingCalendar
from bot.clock import local_date
from bot.settings import Settings
from store.enums import OverrideKind
from store.models import CalendarOverride


@dataclass(frozen=True)
class Rules:
    """Settings plus the calendar in force; deadlines are computed from these alone."""

    settings: Settings
    calendar: WorkingCalendar

    def local_date(self, at: dt.datetime) -> dt.date:
        """The body's local calendar date of instant `at`."""
        return local_date(at, self.settings.tz)


def build_calendar(
    settings: Settings, overrides: list[CalendarOverride] | tuple[()] = ()
) -> WorkingCalendar:
    """The calendar from the settings plus the overrides stored in the database."""
    closed: dict[dt.date, str] = dict.fromkeys(settings.extra_closed_dates, "")
    opened = set(settings.extra_working_dates)
    for override in overrides:
        if override.kind == OverrideKind.CLOSED:
            closed[override.day] = override.name
            opened.discard(override.day)
        else:
            opened.add(override.day)
            closed.pop(override.day, None)
    return WorkingCalendar(
        cuti_bersama_closed=settings.cuti_bersama_closed,
        closed=closed,
        opened=frozenset(opened),
        language=settings.language,
    )


async def load_rules(session: AsyncSession, settings: Settings) -> Rules:
    """Rules with the calendar overrides currently stored."""
    overrides = list((await session.exec(select(CalendarOverride))).all())
    return Rules(settings=settings, calendar=build_calendar(settings, overrides))
