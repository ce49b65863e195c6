"""Reminders to the Atasan PPID for an objection's 30 working days (UU KIP Pasal 36)."""

from __future__ import annotations

import datetime as dt

import holidays

from bot.cases.opening import get_case, open_objection
from bot.i18n import format_date
from bot.services import Services
from bot.workflow import objections, requests
from bot.workflow.rules import load_rules
from store.enums import AtasanDecision, Channel, Decision, Role
from tests.support.builders import COMPLETE_REQUEST, make_case, make_officer
from tests.support.timeline import at, local_day, outbox_rows, tick_through

D = dt.date
UTAMA, ATASAN = 603, 703
_ID = holidays.country_holidays("ID", categories=("public", "government"))


def working_days_after(start: dt.date, n: int) -> dt.date:
    """An independent count of Indonesian working days, straight from the holidays package."""
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= day.weekday() < 5 and day not in _ID
    return day


async def test_objection_reminders_escalate_then_the_answer_tells_the_requester(
    services: Services,
) -> None:
    await make_officer(services, Role.PPID_UTAMA, telegram_user_id=UTAMA)
    await make_officer(services, Role.ATASAN, telegram_user_id=ATASAN)
    services.clock.set(at(D(2026, 1, 5), 9))  # type: ignore[attr-defined]
    request = await make_case(services, details={**COMPLETE_REQUEST, "email": "siti@example.test"})
    now = at(D(2026, 1, 12), 10)
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        case = await get_case(session, request.reference)
        await requests.decide(
            session, case, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now
        )
        now = at(D(2026, 1, 13), 10)
        objection = await open_objection(
            session, case, ground="d", reason="Tidak sesuai", channel=Channel.EMAIL,
            rules=rules, actor="t", now=now,
        )  # fmt: skip
    due = working_days_after(D(2026, 1, 13), 30)
    assert objection.due_date == due
    end = working_days_after(due, 2)
    await tick_through(services, D(2026, 1, 13), end, times=(dt.time(9),))
    rows = await outbox_rows(services, "reminder")
    assert [(local_day(r.not_before), r.recipient) for r in rows] == [
        (working_days_before(due, 3), str(ATASAN)),
        (working_days_before(due, 1), str(ATASAN)),
        (due, str(ATASAN)),
        (working_days_after(due, 1), str(ATASAN)),  # overdue by 1
        (end, str(ATASAN)),  # overdue by 2: escalated to the PPID Utama
        (end, str(UTAMA)),
    ]

    when = at(end, 13)
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        case = await get_case(session, objection.reference)
        await objections.answer(
            session, case, decision=AtasanDecision.UPHELD, reasons="Sudah sesuai Pasal 17",
            atasan_name="Dr. A", atasan_position="Sekda", rules=rules, actor="t", now=when,
        )  # fmt: skip
    answered = (await outbox_rows(services, "status_update"))[-1]
    assert "Komisi Informasi" in answered.body
    assert format_date(working_days_after(end, 14), "id") in answered.body
    after = end + dt.timedelta(days=1)
    await tick_through(services, after, working_days_after(end, 3), times=(dt.time(9),))
    assert len(await outbox_rows(services, "reminder")) == len(rows)


def working_days_before(due: dt.date, n: int) -> dt.date:
    """The same count backwards."""
    day = due
    while n:
        day -= dt.timedelta(days=1)
        n -= day.weekday() < 5 and day not in _ID
    return day
