"""The sweep columns (bot/workflow/sweep_columns.py) stay right through every write, and the
set-based backfill of the migration stamps existing cases exactly as the write path does.

Requests received Mon 2026-01-05; REQUESTER_PROGRESS_EVERY_DAYS is 7 by default.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from alembic import command
from sqlalchemy import update

from bot.services import Services
from bot.workflow import complaints, requests
from bot.workflow.report_columns import migration_steps
from bot.workflow.sweep_columns import stamp_all_sweep
from store.enums import Decision
from store.migrate import alembic_config, upgrade
from store.models import Case, Unit
from tests.bot.workflow.cases_in_status import rules_of
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib

D = dt.date.fromisoformat


def sweep(case: Case) -> tuple[Any, ...]:
    """The sweep columns of a case."""
    return case.followup_from_on, case.progress_next_on, case.reminder_next_on


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
    assert sweep(await reload(services, request)) == (None, D("2026-01-12"), D("2026-01-05"))
    async with step(services, request, wib("2026-01-20", 15)) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    assert sweep(await reload(services, request)) == (None, None, None)  # closed: out of the sweep

    complaint = await open_complaint(services, "2026-01-05")
    async with step(services, complaint, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)
    assert (await reload(services, complaint)).followup_from_on == D("2026-01-06")
    async with step(services, complaint, wib("2026-01-09")) as (s, c, rules, now):
        await complaints.start_processing(s, c, rules=rules, actor="t", now=now)
        await complaints.post_followup(s, c, text="Sudah", rules=rules, actor="t", now=now)
    # Awaits the complainant: no reminder, no update, but the sweep closes it by itself.
    assert sweep(await reload(services, complaint)) == (None, None, D("2026-01-05"))
    async with services.db.transaction() as session:
        await session.exec(update(Case).values(reminder_next_on=D("2026-02-01")))  # type: ignore[call-overload]
    async with step(services, complaint, wib("2026-01-12")) as (s, c, rules, now):
        await complaints.complainant_replied(s, c, rules=rules, actor="t", now=now)
    # Any write sets the next reminder day back to receipt, a day never after the next one.
    assert sweep(await reload(services, complaint)) == (
        D("2026-01-12"),
        D("2026-01-12"),
        D("2026-01-05"),
    )


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
    assert written[2] == (D("2026-01-06"), D("2026-01-12"), D("2026-01-05"))
    assert written[3] == (None, None, None)
    async with services.db.transaction() as session:
        garbage = {
            "followup_from_on": D("1999-01-01"),
            "progress_next_on": D("1999-01-01"),
            "reminder_next_on": D("2099-01-01"),
        }
        await session.exec(update(Case).values(**garbage))  # type: ignore[call-overload]
    steps = migration_steps(services.settings)
    async with services.db.engine.begin() as conn:
        await conn.run_sync(steps["sweep_columns"])  # 0019's
        await conn.run_sync(steps["sweep_next_reminder"])  # 0020's
    assert [sweep(await reload(services, c)) for c in cases] == written
    async with services.db.transaction() as session:
        await session.exec(update(Case).values(**garbage))  # type: ignore[call-overload]
    rules = await rules_of(services)
    async with services.db.engine.begin() as conn:
        await conn.run_sync(stamp_all_sweep, rules)  # bulk loads, a restamp
    assert [sweep(await reload(services, c)) for c in cases] == written


async def test_migration_0020_fills_the_next_reminder_day_of_existing_cases(
    services: Services,
) -> None:
    cases = [
        await open_request(services, "2026-01-05"),
        await open_complaint(services, "2026-01-07"),
    ]
    decided = await open_request(services, "2026-01-06")
    async with step(services, decided, wib("2026-01-08")) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    cases.append(decided)
    written = [sweep(await reload(services, c)) for c in cases]
    assert [w[2] for w in written] == [D("2026-01-05"), D("2026-01-07"), None]

    async with services.db.engine.begin() as conn:
        await conn.run_sync(
            lambda sync: command.downgrade(alembic_config(sync), "0019_sweep_milestones")
        )
    with pytest.raises(RuntimeError, match="loket init"):
        await upgrade(services.db)  # without the core's data steps
    await upgrade(services.db, migration_steps(services.settings))  # what `loket init` runs
    assert [sweep(await reload(services, c)) for c in cases] == written
