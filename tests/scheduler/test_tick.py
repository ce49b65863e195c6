"""A tick runs every job; two at once send nothing twice; a preview writes nothing."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.cases.opening import get_case
from bot.services import Services
from bot.workflow import complaints
from bot.workflow.rules import load_rules
from scheduler import tick
from scheduler.tick import preview, run_jobs
from store.db import Database
from store.enums import CaseKind, ComplaintStatus
from store.models import OutboxMessage, SentReminder
from tests.support.builders import COMPLETE_REQUEST, make_case
from tests.support.staff import make_staff
from tests.support.timeline import at, outbox_rows

D = dt.date


async def counts(services: Services) -> tuple[int, int]:
    """How many outbox rows and sent reminders exist."""
    async with services.db.session() as session:
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        sent = (await session.exec(select(func.count()).select_from(SentReminder))).one()
    return outbox, sent


async def followed_up_complaint(services: Services, unit_id: int) -> str:
    """A complaint whose follow-up was posted on Monday 5 January 2026 (auto-close 20 Jan)."""
    services.clock.set(at(D(2026, 1, 5), 9))  # type: ignore[attr-defined]
    case = await make_case(
        services, kind=CaseKind.COMPLAINT,
        details={"description": "Sampah", "classification": "pengaduan",
                 "email": "budi@example.test"},
    )  # fmt: skip
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        fresh = await get_case(session, case.reference)
        now = services.clock.now()
        await complaints.verify_and_dispose(
            session, fresh, unit_id=unit_id, rules=rules, actor="t", now=now
        )
        await complaints.post_followup(
            session, fresh, text="Diangkut", rules=rules, actor="t", now=now
        )
    return case.reference


async def test_preview_lists_what_would_go_and_writes_nothing(services: Services) -> None:
    reference = await followed_up_complaint(services, (await make_staff(services)).unit_id)
    before = await counts(services)
    planned = await preview(services.db, services.settings, at(D(2026, 1, 20), 9))
    assert await counts(services) == before
    async with services.db.session() as session:
        assert (await get_case(session, reference)).status == ComplaintStatus.IN_PROCESS
    new = [(p.purpose, p.recipient) for p in planned if p.new]
    assert ("status_update", "budi@example.test") in new  # the auto-close notice
    assert ("digest", "-1001") not in new  # the case closes in this preview: no open cases
    assert "status_update" in {p.purpose for p in planned if not p.new}  # queued, still pending


async def test_two_schedulers_at_once_send_each_reminder_once(services: Services) -> None:
    staff = await make_staff(services)
    services.clock.set(at(D(2026, 1, 5), 9))  # type: ignore[attr-defined]
    for _ in range(3):
        await make_case(services, details={**COMPLETE_REQUEST, "email": "s@example.test"})
    await make_case(services, details=COMPLETE_REQUEST, unit_id=staff.unit_id)
    await followed_up_complaint(services, staff.unit_id)
    other = Database.from_url(services.settings.database_url)
    try:
        when = at(D(2026, 1, 20), 9)  # requests due today, complaint closes by itself
        results = await asyncio.gather(
            *(run_jobs(db, services.settings, when) for db in (services.db, other, services.db))
        )
    finally:
        await other.dispose()
    assert all(min(r.values()) >= 0 for r in results)
    assert sum(r["complaint_autoclose"] for r in results) == 1
    reminders = await outbox_rows(services, "reminder")
    # 3 requests x (PPID Utama + admin), and the unit chat for the disposed one; once each
    assert sorted(r.recipient for r in reminders) == ["-1001", *sorted(["601", "801"] * 3)]
    assert len({r.dedup_key for r in reminders}) == len(reminders)
    assert len(await outbox_rows(services, "digest")) == 1
    closed = [r for r in await outbox_rows(services, "status_update") if "tanggapan" in r.body]
    assert len(closed) == 1


async def test_a_failing_job_does_not_stop_the_others(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(session: object, rules: object, now: dt.datetime) -> int:
        raise RuntimeError("bug")

    async def fine(session: object, rules: object, now: dt.datetime) -> int:
        return 7

    monkeypatch.setattr(tick, "JOBS", (broken, fine))
    assert await run_jobs(services.db, services.settings, services.clock.now()) == {
        "broken": -1,
        "fine": 7,
    }
