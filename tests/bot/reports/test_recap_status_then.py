"""The complaint recap counts each complaint in the status it had on the "status per" date,
also when it changed after that date (only those are read back from the audit log)."""

from __future__ import annotations

import datetime as dt

from bot.reports.complaints import complaint_figures
from bot.services import Services
from bot.workflow import complaints
from bot.workflow.rules import load_rules
from store.models import Unit
from tests.bot.workflow.helpers import open_complaint, step, wib

D = dt.date.fromisoformat


async def _recap(services: Services, as_of: str) -> dict[str, object]:
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        figures = await complaint_figures(
            session, rules, D("2026-01-01"), D("2026-01-31"), D(as_of)
        )
    total = figures.total
    return {**total.counts, "waiting": total.waiting.count, "rv_days": total.waiting.total}


async def test_a_complaint_verified_after_the_as_of_date_is_counted_as_unverified_then(
    services: Services,
) -> None:
    async with services.db.transaction() as session:
        unit = Unit(code="dinkes", name="Dinas Kesehatan")
        session.add(unit)
        await session.flush()
        unit_id = unit.id
    assert unit_id is not None
    waits = await open_complaint(services, "2026-01-05")
    await open_complaint(services, "2026-01-06")
    async with step(services, waits, wib("2026-01-12")) as (s, c, rules, now):
        await complaints.verify_and_dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)

    before = await _recap(services, "2026-01-08")
    # Both unverified on the 8th: 06 07 08 (3 days) and 07 08 (2 days) of waiting.
    assert (before["unverified"], before["not_followed_up"]) == (2, 0)
    assert (before["waiting"], before["rv_days"]) == (2, 5)
    after = await _recap(services, "2026-01-13")
    # The first was disposed on the 12th; the second waits 07 08 09 12 13 (5 days).
    assert (after["unverified"], after["not_followed_up"]) == (1, 1)
    assert (after["waiting"], after["rv_days"]) == (1, 5)
