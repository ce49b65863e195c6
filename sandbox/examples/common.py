"""What the example builders share: a load-once guard, units, officers and local instants."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event
from bot.errors import DomainError
from bot.workflow.rules import Rules
from store.models import Event, Officer, Unit

LOADED_ACTION = "example_loaded"


def slug(name: str, limit: int = 64) -> str:
    """A unit code from its name: lower case words joined by dashes."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:limit].rstrip("-")


def local_instant(rules: Rules, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """The UTC instant of local time `hour:minute` on `day` in the body's time zone."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=rules.settings.tz).astimezone(
        dt.UTC
    )


def nth_working_day(rules: Rules, year: int, n: int) -> dt.date:
    """The n-th working day of `year` (n = 1 is the first)."""
    return rules.calendar.add_working_days(dt.date(year - 1, 12, 31), n)


async def claim_example(session: AsyncSession, name: str, actor: str, now: dt.datetime) -> None:
    """Record that example `name` is being loaded; DomainError if it was loaded before."""
    loaded = await session.exec(select(Event).where(Event.action == LOADED_ACTION))
    if any(event.data.get("example") == name for event in loaded.all()):
        raise DomainError("example.already_loaded", name=name)
    await record_event(
        session, case_id=None, actor=actor, action=LOADED_ACTION, at=now, data={"example": name}
    )


async def unit_named(session: AsyncSession, name: str) -> Unit:
    """The unit with this name, created (code from the name) when missing."""
    unit = (await session.exec(select(Unit).where(Unit.name == name))).first()
    if unit is None:
        unit = Unit(code=slug(name), name=name)
        session.add(unit)
        await session.flush()
    return unit


async def add_officer(
    session: AsyncSession, name: str, role: str, unit_id: int | None = None
) -> Officer:
    """A new officer (examples create their own, so their actions are told apart)."""
    officer = Officer(name=name, role=role, unit_id=unit_id, position=role)
    session.add(officer)
    await session.flush()
    return officer
