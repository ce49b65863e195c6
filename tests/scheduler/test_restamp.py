"""A restart with other calendar settings restamps the stored dates at the next tick, once.

A request received Mon 2026-01-05 is due Tue 2026-01-20 (10 working days; Fri 01-16 is Isra
Mikraj). Closing Wed 01-07 by EXTRA_CLOSED_DATES moves it to Wed 01-21.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.services import Services
from bot.workflow.restamp import restamp_if_stale
from scheduler.tick import run_jobs
from store.models import Event
from tests.bot.workflow.helpers import open_request, reload, wib
from tests.support.staff import make_staff
from tests.support.timeline import outbox_rows

D = dt.date.fromisoformat


async def test_changed_closed_dates_restamp_the_open_cases_at_the_next_tick(
    services: Services,
) -> None:
    await make_staff(services)
    case = await open_request(services, "2026-01-05")
    assert (await reload(services, case)).due_date == D("2026-01-20")
    await run_jobs(services.db, services.settings, wib("2026-01-06"))  # records the fingerprint
    assert (await reload(services, case)).due_date == D("2026-01-20")

    restarted = services.settings.model_copy(update={"extra_closed_dates": [D("2026-01-07")]})
    await run_jobs(services.db, restarted, wib("2026-01-20", 10))
    assert (await reload(services, case)).due_date == D("2026-01-21")
    async with services.db.session() as session:
        stmt = select(Event).where(col(Event.action) == "due_date_recomputed")
        assert [e.data for e in (await session.exec(stmt)).all()] == [
            {"old": "2026-01-20", "new": "2026-01-21"}
        ]
    # The sweep follows the new date: one working day left, not "decide or extend today".
    reminders = await outbox_rows(services, "reminder")
    assert reminders and all(r.payload["params"]["due"] == "2026-01-21" for r in reminders)
    assert {r.payload["key"] for r in reminders} == {"sched.officer.before"}

    async with services.db.transaction() as session:
        assert not await restamp_if_stale(session, restarted, wib("2026-01-20", 11))
