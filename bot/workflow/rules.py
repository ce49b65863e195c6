"""What every workflow step needs to know: the settings and the working-day calendar."""

from __future__ import annotations

import datetime as dt
import functools
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
    return _calendar(
        settings.cuti_bersama_closed, tuple(sorted(closed.items())), frozenset(opened),
        settings.language,
    )  # fmt: skip


@functools.lru_cache(maxsize=16)
def _calendar(
    cuti_bersama_closed: bool,
    closed: tuple[tuple[dt.date, str], ...],
    opened: frozenset[dt.date],
    language: str,
) -> WorkingCalendar:
    """One calendar for the same days (it is immutable): the national holidays and the due
    dates it has worked out are kept across the transactions that load the same overrides (a
    mail batch, a sweep, a chat turn), instead of being worked out again for each."""
    return WorkingCalendar(cuti_bersama_closed=cuti_bersama_closed, closed=dict(closed),
                           opened=opened, language=language)  # fmt: skip


async def load_rules(session: AsyncSession, settings: Settings) -> Rules:
    """Rules with the calendar overrides currently stored."""
    overrides = list((await session.exec(select(CalendarOverride))).all())
    return Rules(settings=settings, calendar=build_calendar(settings, overrides))
