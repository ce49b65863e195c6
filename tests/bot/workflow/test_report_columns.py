"""The report columns (bot/workflow/report_columns.py) stay right through every write.

Requests received Mon 2026-01-05: working days 06 07 08 09 | 12 13 14 15 | (16 Isra Mikraj) |
19 20, so a decision on Tue 01-20 took 10 working days.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot.calendar.overrides import remove_override, set_override
from bot.services import Services
from bot.workflow import complaints, requests
from bot.workflow.machine import apply_transition
from bot.workflow.report_columns import migration_steps, stamp_report_columns
from bot.workflow.rules import load_rules
from store.enums import Decision, OverrideKind
from store.models import Case, Unit
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib
from tests.support.migrations import rerun_with_data_steps

D = dt.date.fromisoformat
COLUMNS = ("received_on", "received_year", "received_month", "decided_on", "working_days_taken")


def stamped(case: Case) -> tuple[Any, ...]:
    """The report columns of a case, in COLUMNS order."""
    return tuple(getattr(case, name) for name in COLUMNS)


async def _decided_request(services: Services, received: str, decided: dt.datetime) -> Case:
    case = await open_request(services, received)
    async with step(services, case, decided) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    return await reload(services, case)


async def _unit(services: Services) -> int:
    async with services.db.transaction() as session:
        unit = Unit(code="dinkes", name="Dinas Kesehatan")
        session.add(unit)
        await session.flush()
        assert unit.id is not None
        return unit.id


async def test_a_request_is_stamped_when_opened_and_when_decided(services: Services) -> None:
    # 23:30 WIB on 31 December is still the old year locally (16:30 UTC).
    late = await open_request(services, "2025-12-31")
    services.clock.set(wib("2025-12-31", 23, 30))  # type: ignore[attr-defined]
    assert stamped(await reload(services, late))[:3] == (D("2025-12-31"), 2025, 12)
    case = await open_request(services, "2026-01-05")
    assert stamped(await reload(services, case)) == (D("2026-01-05"), 2026, 1, None, None)
    decided = await _decided_request(services, "2026-01-05", wib("2026-01-20", 15))
    assert stamped(decided) == (D("2026-01-05"), 2026, 1, D("2026-01-20"), 10)


async def test_a_corrected_received_date_moves_every_column(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        # Back-dated to the letter's arrival: 23:00 WIB on Friday 2 January.
        changes = {"received_at": wib("2026-01-02", 23)}
        await apply_transition(
            s, c, "update_details", rules=rules, actor="t", now=now, changes=changes
        )
    async with step(services, case, wib("2026-01-20", 15)) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    # 05 becomes a working day of the count: 05-09 (5) | 12-15 (9) | 19 20 (11).
    assert stamped(await reload(services, case)) == (D("2026-01-02"), 2026, 1, D("2026-01-20"), 11)


async def test_a_complaint_counts_disposition_to_follow_up_and_forgets_it_on_reopening(
    services: Services,
) -> None:
    unit_id = await _unit(services)
    case = await open_complaint(services, "2026-01-05")
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)
    assert (await reload(services, case)).working_days_taken is None
    async with step(services, case, wib("2026-01-19")) as (s, c, rules, now):
        await complaints.post_followup(
            s, c, text="Sudah diperbaiki", rules=rules, actor="t", now=now
        )
    # 07 08 09 | 12-15 | (16) | 19: 8 working days after the disposition on the 6th.
    assert (await reload(services, case)).working_days_taken == 8
    async with step(services, case, wib("2026-02-10")) as (s, c, rules, now):
        await complaints.close(s, c, rules=rules, actor="t", now=now)
    async with step(services, case, wib("2026-02-11")) as (s, c, rules, now):
        await complaints.complainant_replied(s, c, rules=rules, actor="t", now=now)
    reopened = await reload(services, case)
    assert (reopened.followed_up_at, reopened.working_days_taken) == (None, None)
    assert stamped(reopened)[:3] == (D("2026-01-05"), 2026, 1)


async def test_a_calendar_override_shifts_the_stored_days_of_the_cases_it_spans(
    services: Services,
) -> None:
    spanning = await _decided_request(services, "2026-01-05", wib("2026-01-20", 15))
    before = await _decided_request(services, "2026-01-05", wib("2026-01-06", 15))
    args = {"settings": services.settings, "actor": "cli:admin", "now": wib("2026-01-21")}
    async with services.db.transaction() as session:
        await set_override(session, D("2026-01-07"), OverrideKind.CLOSED, "Banjir", **args)  # type: ignore[arg-type]
    assert (await reload(services, spanning)).working_days_taken == 9
    assert (await reload(services, before)).working_days_taken == 1  # decided before the 7th
    async with services.db.transaction() as session:
        await remove_override(session, D("2026-01-07"), **args)  # type: ignore[arg-type]
        await set_override(session, D("2026-01-16"), OverrideKind.OPEN, "Tetap buka", **args)  # type: ignore[arg-type]
    assert (await reload(services, spanning)).working_days_taken == 11
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        fresh = await session.get(Case, spanning.id)
        assert fresh is not None
        expected = stamped(fresh)
        stamp_report_columns(fresh, rules)
        assert stamped(fresh) == expected  # the shift equals a recount under the new calendar


async def test_migration_0013_backfills_existing_cases_as_the_write_path_stamps_them(
    services: Services,
) -> None:
    unit_id = await _unit(services)
    decided = await _decided_request(services, "2025-12-31", wib("2026-01-20", 15))
    open_one = await open_request(services, "2026-01-05")
    complaint = await open_complaint(services, "2026-01-05")
    async with step(services, complaint, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)
    async with step(services, complaint, wib("2026-01-19")) as (s, c, rules, now):
        await complaints.post_followup(s, c, text="Selesai", rules=rules, actor="t", now=now)
    cases = [decided, open_one, await reload(services, complaint)]
    written = [stamped(await reload(services, c)) for c in cases]
    # 01-01 is New Year: 02 | 05-09 | 12-15 | (16) | 19 20.
    assert written[0] == (D("2025-12-31"), 2025, 12, D("2026-01-20"), 12)

    await rerun_with_data_steps(services, "0012_merge_heads")
    assert [stamped(await reload(services, c)) for c in cases] == written


async def test_backfill_overwrites_stale_values(services: Services) -> None:
    case = await _decided_request(services, "2026-01-05", wib("2026-01-20", 15))
    async with services.db.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Case).values(received_year=1999, working_days_taken=99, decided_on=None)
        )
    async with services.db.engine.begin() as conn:
        await conn.run_sync(migration_steps(services.settings)["report_columns"])
    assert stamped(await reload(services, case)) == (D("2026-01-05"), 2026, 1, D("2026-01-20"), 10)
    async with services.db.session() as session:
        ids = (await session.exec(select(Case.id).where(col(Case.received_on).is_(None)))).all()
    assert ids == []
