"""The sweep columns (bot/workflow/sweep_columns.py) stay right through every write, and the
set-based backfill of the migration stamps existing cases exactly as the write path does.

Requests received Mon 2026-01-05; REQUESTER_PROGRESS_EVERY_DAYS is 7 by default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update

from bot.services import Services
from bot.workflow import complaints, requests
from bot.workflow.report_columns import migration_steps
from store.enums import Decision
from store.models import Case, Unit
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib

D = dt.date.fromisoformat


def sweep(case: Case) -> tuple[Any, ...]:
    """The sweep columns of a case."""
    return case.followup_from_on, case.progress_next_on


async def _unit(services: Services) -> int:
    async with services.db.transaction() as session:
        unit = Unit(code="pupr", name="Dinas PUPR")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        return unit.id


async def test_the_write_path_stamps_and_clears_the_sweep_columns(services: Services) -> None:
    unit_id = await _unit(services)
    request = await open_request(services, "2026-01-05")
    assert sweep(await reload(services, request)) == (None, D("2026-01-12"))
    async with step(services, request, wib("2026-01-20", 15)) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    assert sweep(await reload(services, request)) == (None, None)  # closed: out of the sweep

    complaint = await open_complaint(services, "2026-01-05")
    async with step(services, complaint, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)
    assert (await reload(services, complaint)).followup_from_on == D("2026-01-06")
    async with step(services, complaint, wib("2026-01-09")) as (s, c, rules, now):
        await complaints.post_followup(s, c, text="Sudah", rules=rules, actor="t", now=now)
    assert sweep(await reload(services, complaint)) == (None, None)  # awaits the complainant


async def test_the_backfill_stamps_as_the_write_path_does(services: Services) -> None:
    unit_id = await _unit(services)
    cases = [await open_request(services, "2026-01-05"), await open_request(services, "2026-01-07")]
    complaint = await open_complaint(services, "2026-01-05")
    async with step(services, complaint, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)
    decided = await open_request(services, "2026-01-05")
    async with step(services, decided, wib("2026-01-08")) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    cases += [complaint, decided, await open_complaint(services, "2026-01-08")]
    written = [sweep(await reload(services, c)) for c in cases]
    assert written[2] == (D("2026-01-06"), D("2026-01-12"))
    async with services.db.transaction() as session:
        garbage = {"followup_from_on": D("1999-01-01"), "progress_next_on": D("1999-01-01")}
        await session.exec(update(Case).values(**garbage))  # type: ignore[call-overload]
    async with services.db.engine.begin() as conn:
        await conn.run_sync(migration_steps(services.settings)["sweep_columns"])
    assert [sweep(await reload(services, c)) for c in cases] == written
