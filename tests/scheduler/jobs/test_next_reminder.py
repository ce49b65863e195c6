"""The stored next reminder day (`cases.reminder_next_on`, issue #11 point 1) only finds the
cases a tick must read: the same reminders go to the same people as when every open case is
read, nothing due is skipped, and a crash between the claim and the send loses nothing.

On the 2026 calendar: Fri 01-16 is Isra Mikraj, so a request received Mon 01-05 is due Tue
01-20 (3 working days before: Wed 01-14; 1 before: Mon 01-19).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.calendar.overrides import set_override
from bot.cases.opening import open_objection
from bot.services import Services
from bot.workflow import complaints, requests
from bot.workflow.rules import Rules, load_rules
from bot.workflow.sweep_columns import (
    COMPLAINT_REMINDED,
    OBJECTION_REMINDED,
    REQUEST_REMINDED,
    stamp_all_next_reminder,
)
from scheduler.jobs import JOBS
from scheduler.jobs import reminders as reminder_jobs
from scheduler.jobs.due_sets import MemoCalendar, due_batches
from scheduler.tick import run_jobs
from store.enums import CaseKind, Channel, Decision, OverrideKind
from store.models import OutboxMessage, SentReminder
from tests.bot.workflow.cases_in_status import rules_of
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib
from tests.scheduler.test_dispatch import dispatcher
from tests.support.senders import ScriptedSender
from tests.support.staff import make_staff
from tests.support.timeline import days, outbox_rows

D = dt.date.fromisoformat
LOOKED_AT = (
    (CaseKind.INFORMATION_REQUEST, REQUEST_REMINDED),
    (CaseKind.COMPLAINT, COMPLAINT_REMINDED),
    (CaseKind.OBJECTION, OBJECTION_REMINDED),
)

Sent = tuple[str, str, str, str]


def _sent(rows: list[OutboxMessage]) -> list[Sent]:
    """What each row says to whom: its dedup key (case, kind, anchor, recipient), its
    recipient, its catalogue key and its parameters."""
    return sorted(
        (
            r.dedup_key or "",
            r.recipient,
            r.payload["key"],
            repr(sorted(r.payload["params"].items())),
        )
        for r in rows
    )


async def _new_rows(session: Any, after: int) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(col(OutboxMessage.id) > after)
    return list((await session.exec(stmt)).all())


async def _last_row(session: Any) -> int:
    return int((await session.exec(select(func.max(OutboxMessage.id)))).one() or 0)


async def every_case_read(services: Services, now: dt.datetime) -> list[Sent]:
    """What the jobs queue at `now` when they read every open case (the stored next days all
    set back to receipt, so none is passed over), in a transaction rolled back."""
    async with services.db.session() as session:
        try:
            rules = await load_rules(session, services.settings)
            await (await session.connection()).run_sync(stamp_all_next_reminder, rules)
            last = await _last_row(session)
            memo = Rules(settings=rules.settings, calendar=MemoCalendar(rules.calendar))  # type: ignore[arg-type]
            for job in JOBS:
                await job(session, memo, now)
            return _sent(await _new_rows(session, last))
        finally:
            await session.rollback()


async def tick(services: Services, now: dt.datetime) -> list[Sent]:
    """One real tick at `now`; what it queued."""
    async with services.db.session() as session:
        last = await _last_row(session)
    services.clock.set(now)  # type: ignore[attr-defined]
    done = await run_jobs(services.db, services.settings, now)
    assert min(done.values()) >= 0, done
    async with services.db.session() as session:
        return _sent(await _new_rows(session, last))


async def due_now(services: Services, today: dt.date) -> list[int]:
    """The ids of the cases a reminder job would read today."""
    async with services.db.session() as session:
        found = []
        for kind, statuses in LOOKED_AT:
            async for batch in due_batches(session, today, kind, statuses):
                found += [row.id for row in batch]
        return found


async def test_the_same_reminders_as_reading_every_case(services: Services) -> None:
    staff = await make_staff(services)
    unit = {"unit_id": staff.unit_id}
    r1 = await open_request(services, "2026-01-05")
    r2 = await open_request(services, "2026-01-07")
    r3 = await open_request(services, "2026-01-08")
    await open_request(services, "2026-01-12")
    c1 = await open_complaint(services, "2026-01-05")  # never verified: overdue
    c2 = await open_complaint(services, "2026-01-06")
    c3 = await open_complaint(services, "2026-01-08")
    c4 = await open_complaint(services, "2026-01-13")
    assert c1.id is not None

    async def on(day: dt.date) -> None:
        """The officers' steps of the day, after its first tick."""
        if day == D("2026-01-07"):
            for case in (c2, c3):
                async with step(services, case, wib("2026-01-07", 10)) as (s, c, rules, now):
                    await complaints.verify_and_dispose(
                        s, c, **unit, rules=rules, actor="t", now=now
                    )
        if day == D("2026-01-14"):
            async with step(services, c2, wib("2026-01-14", 10)) as (s, c, rules, now):
                await complaints.start_processing(s, c, rules=rules, actor="t", now=now)
                await complaints.post_followup(s, c, text="Sudah", rules=rules, actor="t", now=now)
            async with step(services, c4, wib("2026-01-14", 10)) as (s, c, rules, now):
                await complaints.verify_and_dispose(s, c, **unit, rules=rules, actor="t", now=now)
        if day == D("2026-01-15"):
            async with step(services, r2, wib("2026-01-15", 10)) as (s, c, rules, now):
                await requests.extend(s, c, reason="Banyak", rules=rules, actor="t", now=now)
        if day == D("2026-01-20"):
            async with step(services, r3, wib("2026-01-20", 10)) as (s, c, rules, now):
                await requests.decide(
                    s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now
                )
                await open_objection(
                    s, c, ground="d", reason="Tidak sesuai", channel=Channel.EMAIL,
                    rules=rules, actor="t", now=now,
                )  # fmt: skip
        if day == D("2026-01-21"):
            async with services.db.transaction() as session:
                await set_override(
                    session, D("2026-01-27"), OverrideKind.CLOSED, "Banjir",
                    settings=services.settings, actor="t", now=wib("2026-01-21", 10),
                )  # fmt: skip
        if day == D("2026-01-26"):
            async with step(services, c2, wib("2026-01-26", 10)) as (s, c, rules, now):
                await complaints.complainant_replied(s, c, rules=rules, actor="t", now=now)

    sent_days: set[dt.date] = set()
    for day in days(D("2026-01-05"), D("2026-02-27")):
        for hour in (8, 9, 13):
            now = wib(day.isoformat(), hour)
            expected = await every_case_read(services, now)
            assert await tick(services, now) == expected, now
            if expected:
                sent_days.add(day)
            # Read again the same day, nothing: the idle tick reads no case.
            if hour == 9 and (await rules_of(services)).calendar.is_working_day(day):
                assert await due_now(services, day) == [], now
                assert await every_case_read(services, now) == []
            if hour == 9:
                await on(day)
    assert len(sent_days) > 20
    # The overdue complaint was reminded on every working day from its first overdue day.
    async with services.db.session() as session:
        stmt = select(SentReminder.anchor).where(
            col(SentReminder.case_id) == c1.id, col(SentReminder.kind) == "complaint.overdue"
        )
        overdue_days = sorted((await session.exec(stmt)).all())
    rules = await rules_of(services)
    assert overdue_days == [
        d for d in days(overdue_days[0], D("2026-02-27")) if rules.calendar.is_working_day(d)
    ]
    assert (await reload(services, r1)).reminder_next_on == D("2026-02-28")


async def test_a_reminder_due_tomorrow_is_not_lost_when_todays_was_sent(
    services: Services,
) -> None:
    await make_staff(services)
    case = await open_request(services, "2026-01-05")
    assert (await reload(services, case)).reminder_next_on == D("2026-01-05")  # receipt
    expected_next = {
        "2026-01-13": D("2026-01-14"),  # nothing yet; the next milestone: 3 days before
        "2026-01-14": D("2026-01-19"),  # 3 days before sent; next: 1 day before
        "2026-01-19": D("2026-01-20"),  # 1 day before sent; next: the due day
        "2026-01-20": D("2026-01-21"),  # decide or extend today sent; next: the first overdue
        "2026-01-21": D("2026-01-22"),  # overdue sent; again tomorrow
        "2026-01-22": D("2026-01-23"),
    }
    keys = []
    for day, next_on in expected_next.items():
        for hour in (9, 11):
            sent = await tick(services, wib(day, hour))
            keys += [key for key, *_ in sent]
        assert (await reload(services, case)).reminder_next_on == next_on, day
    reminded = [tuple(k.split(":")[2:4]) for k in keys if k.startswith("remind:")]
    assert list(dict.fromkeys(reminded)) == [
        ("request.before3", "2026-01-20"),
        ("request.before1", "2026-01-20"),
        ("request.decide_or_extend", "2026-01-20"),
        ("information_request.overdue", "2026-01-21"),
        ("information_request.overdue", "2026-01-22"),
    ]


async def test_a_holiday_inserted_by_calendar_override_moves_the_next_day(
    services: Services,
) -> None:
    await make_staff(services)
    case = await open_request(services, "2026-01-05")
    await tick(services, wib("2026-01-14"))  # 3 working days before Tue 01-20
    assert (await reload(services, case)).reminder_next_on == D("2026-01-19")
    async with services.db.transaction() as session:
        await set_override(
            session, D("2026-01-19"), OverrideKind.CLOSED, "Banjir",
            settings=services.settings, actor="t", now=wib("2026-01-14", 10),
        )  # fmt: skip
    stored = await reload(services, case)
    assert stored.due_date == D("2026-01-21")
    assert stored.reminder_next_on == D("2026-01-05")  # looked at again at the next tick
    await tick(services, wib("2026-01-14", 11))  # the new due date's milestone (as before)
    assert (await reload(services, case)).reminder_next_on == D("2026-01-20")  # not the holiday
    assert await tick(services, wib("2026-01-19")) == []  # closed: nothing
    sent = await tick(services, wib("2026-01-20"))
    assert {key.split(":")[2:4] == ["request.before1", "2026-01-21"] for key, *_ in sent} == {True}


@pytest.mark.parametrize("fails", ["look_again", "queue_rows"])
async def test_a_crash_between_claim_and_send_still_delivers_exactly_once(
    services: Services, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    await make_staff(services)
    case = await open_request(services, "2026-01-05")
    calls = {"n": 0}
    real = getattr(reminder_jobs, fails)

    async def crash_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("killed after the claims were inserted")
        return await real(*args, **kwargs)

    monkeypatch.setattr(reminder_jobs, fails, crash_once)
    now = wib("2026-01-14")
    services.clock.set(now)  # type: ignore[attr-defined]
    done = await run_jobs(services.db, services.settings, now)
    assert done["request_reminders"] == -1  # rolled back: no claim, no row, the day kept
    async with services.db.session() as session:
        assert (await session.exec(select(func.count()).select_from(SentReminder))).one() == 0
    assert await outbox_rows(services, "reminder") == []
    assert (await reload(services, case)).reminder_next_on == D("2026-01-05")

    # The next tick sends it; the process dies before the dispatcher runs; after the restart
    # the ticks queue nothing more and the dispatcher delivers each row once.
    queued = await tick(services, wib("2026-01-14", 10))
    assert queued and {key.split(":")[2] for key, *_ in queued} == {"request.before3"}
    assert await tick(services, wib("2026-01-14", 11)) == []
    sender = ScriptedSender()
    assert (await dispatcher(services, sender).drain_once()).sent == len(queued)
    assert (await dispatcher(services, sender).drain_once()).sent == 0
    assert sorted(m.recipient for m in sender.sent) == sorted(to for _, to, *_ in queued)
    assert (await reload(services, case)).reminder_next_on == D("2026-01-19")


@pytest.mark.parametrize("how", ["override", "restart"])
async def test_a_day_opened_brings_the_next_reminder_forward(services: Services, how: str) -> None:
    # Opening Isra Mikraj (Fri 01-16) moves the due date to Mon 01-19 and "1 working day
    # before" to Fri 01-16, before the stored next day (01-19): the day is set back, not kept.
    await make_staff(services)
    case = await open_request(services, "2026-01-05")
    await tick(services, wib("2026-01-14"))
    assert (await reload(services, case)).reminder_next_on == D("2026-01-19")
    settings = services.settings
    if how == "override":
        async with services.db.transaction() as session:
            await set_override(
                session, D("2026-01-16"), OverrideKind.OPEN, "Tetap buka",
                settings=settings, actor="t", now=wib("2026-01-15", 10),
            )  # fmt: skip
    else:
        await run_jobs(services.db, settings, wib("2026-01-15", 7))  # records the fingerprint
        settings = settings.model_copy(update={"extra_working_dates": [D("2026-01-16")]})
    now = wib("2026-01-16")
    services.clock.set(now)  # type: ignore[attr-defined]
    assert min((await run_jobs(services.db, settings, now)).values()) >= 0
    stored = await reload(services, case)
    assert (stored.due_date, stored.reminder_next_on) == (D("2026-01-19"), D("2026-01-19"))
    async with services.db.session() as session:
        stmt = select(SentReminder.kind, SentReminder.anchor).where(
            col(SentReminder.case_id) == case.id
        )
        assert sorted((await session.exec(stmt)).all()) == [
            ("request.before1", D("2026-01-19")),
            ("request.before3", D("2026-01-20")),
        ]
