"""Drive the scheduler through days of real calendar with the injected clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import col, select

from bot.clock import FixedClock
from bot.services import Services
from scheduler.tick import run_jobs
from store.models import OutboxMessage

WIB = dt.timezone(dt.timedelta(hours=7))
# Before, at the start of, during and after office hours, and inside the quiet hours.
TICK_TIMES = (dt.time(0, 30), dt.time(7, 0), dt.time(8, 0), dt.time(12, 0), dt.time(16, 30),
              dt.time(21, 30))  # fmt: skip


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A local (WIB) instant on `day`."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


def days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    """Every date from `first` to `last`, inclusive."""
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


async def tick_through(
    services: Services,
    first: dt.date,
    last: dt.date,
    *,
    times: tuple[dt.time, ...] = TICK_TIMES,
    repeat: int = 2,
) -> None:
    """Run every job `repeat` times at each of `times` on each day from `first` to `last`."""
    clock = services.clock
    assert isinstance(clock, FixedClock)
    for day in days(first, last):
        for moment in times:
            clock.set(dt.datetime.combine(day, moment, tzinfo=WIB))
            for _ in range(repeat):
                done = await run_jobs(services.db, services.settings, clock.now())
                assert min(done.values()) >= 0, done


async def outbox_rows(services: Services, *purposes: str) -> list[OutboxMessage]:
    """Outbox rows with one of `purposes` (all when none given), oldest first."""
    stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
    if purposes:
        stmt = stmt.where(col(OutboxMessage.purpose).in_(purposes))
    async with services.db.session() as session:
        return list((await session.exec(stmt)).all())


def local_day(instant: dt.datetime) -> dt.date:
    """The WIB date of `instant`."""
    return instant.astimezone(WIB).date()
