"""Complaint reminders, escalation and the automatic close, over a whole lifecycle in 2026."""

from __future__ import annotations

import datetime as dt

from bot.cases.opening import get_case
from bot.services import Services
from bot.workflow import complaints
from bot.workflow.rules import load_rules
from channels.email.render import mail_text
from store.enums import CaseKind, Channel, ComplaintStatus, Role
from store.models import Case
from tests.support.builders import make_case, make_officer, make_unit
from tests.support.timeline import at, local_day, outbox_rows, tick_through

D = dt.date
UNIT_CHAT, UTAMA, ATASAN, ADMIN = -2002, 602, 702, 802
COMPLAINT = {
    "description": "Lampu jalan mati di depan pasar",
    "classification": "pengaduan",
    "email": "budi@example.test",
}


async def setup_complaint(services: Services, when: dt.datetime) -> tuple[Case, int]:
    """A unit with a group chat, the PPID Utama, Atasan and an admin, and a complaint."""
    unit = await make_unit(services)
    async with services.db.transaction() as session:
        stored = await session.get(type(unit), unit.id)
        assert stored is not None
        stored.telegram_chat_id = UNIT_CHAT
    await make_officer(services, Role.PPID_UTAMA, telegram_user_id=UTAMA)
    await make_officer(services, Role.ATASAN, telegram_user_id=ATASAN)
    await make_officer(services, Role.ADMIN, telegram_user_id=ADMIN)
    services.clock.set(when)  # type: ignore[attr-defined]
    case = await make_case(
        services, kind=CaseKind.COMPLAINT, received_at=when, details=COMPLAINT,
        channel=Channel.EMAIL,
    )  # fmt: skip
    assert unit.id is not None
    return case, unit.id


async def act(services: Services, when: dt.datetime, reference: str, step: str, **kw: object):
    """Apply a complaint step at instant `when`."""
    services.clock.set(when)  # type: ignore[attr-defined]
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        case = await get_case(session, reference)
        await getattr(complaints, step)(session, case, rules=rules, actor="test", now=when, **kw)


async def status_of(services: Services, reference: str) -> str:
    """The case's current status."""
    async with services.db.session() as session:
        return (await get_case(session, reference)).status


async def test_complaint_lifecycle_with_automatic_close(services: Services) -> None:
    case, unit_id = await setup_complaint(services, at(D(2026, 1, 5), 9))
    assert case.due_date == D(2026, 1, 8)  # verify and dispose within 3 working days
    await tick_through(services, D(2026, 1, 5), D(2026, 1, 9), times=(dt.time(8), dt.time(12)))
    await act(
        services, at(D(2026, 1, 9), 13), case.reference, "verify_and_dispose", unit_id=unit_id
    )
    # Follow-up due 5 working days after disposition: 16 January (Isra Mi'raj) is skipped.
    await tick_through(services, D(2026, 1, 10), D(2026, 1, 21), times=(dt.time(8), dt.time(12)))
    await act(
        services, at(D(2026, 1, 21), 13), case.reference, "post_followup", text="Lampu diganti."
    )
    await tick_through(services, D(2026, 1, 22), D(2026, 2, 6))

    rows = await outbox_rows(services, "reminder")
    assert [(local_day(r.not_before), r.recipient) for r in rows] == [
        (D(2026, 1, 7), str(ADMIN)),  # unverified after 2 working days
        (D(2026, 1, 9), str(ADMIN)),  # overdue by 1 working day
        (D(2026, 1, 14), str(UNIT_CHAT)),  # 3 working days without follow-up
        (D(2026, 1, 19), str(UNIT_CHAT)),  # 5 working days: due today
        (D(2026, 1, 20), str(UNIT_CHAT)),  # overdue by 1
        (D(2026, 1, 21), str(UNIT_CHAT)),  # overdue by 2: escalated
        (D(2026, 1, 21), str(UTAMA)),
        (D(2026, 1, 21), str(ATASAN)),
    ]
    assert all("budi" not in r.body.lower() for r in rows)
    assert await status_of(services, case.reference) == ComplaintStatus.DONE

    updates = await outbox_rows(services, "status_update", "survey_invitation")
    assert [(u.purpose, u.not_before.astimezone(at(D(2026, 1, 1)).tzinfo)) for u in updates] == [
        ("status_update", at(D(2026, 1, 9), 13)),  # disposed
        ("status_update", at(D(2026, 1, 21), 13)),  # follow-up, closes by itself on 4 Feb
        ("status_update", at(D(2026, 2, 4), 6)),  # auto-closed at 00:30, told after quiet hours
        ("survey_invitation", at(D(2026, 2, 5), 7)),
    ]
    assert "Rabu, 4 Februari 2026" in updates[1].body and "Lampu diganti." in updates[1].body
    assert "10 hari kerja" in updates[2].body
    assert "1:" in mail_text(updates[3])  # the email reply form of the survey (its renderer)


async def test_a_reply_from_the_complainant_stops_the_automatic_close(services: Services) -> None:
    case, unit_id = await setup_complaint(services, at(D(2026, 1, 5), 9))
    await act(
        services, at(D(2026, 1, 5), 10), case.reference, "verify_and_dispose", unit_id=unit_id
    )
    await act(services, at(D(2026, 1, 6), 10), case.reference, "post_followup", text="Sudah.")
    await act(services, at(D(2026, 1, 8), 10), case.reference, "complainant_replied")
    await tick_through(services, D(2026, 1, 8), D(2026, 1, 23), times=(dt.time(9),))
    assert await status_of(services, case.reference) == ComplaintStatus.IN_PROCESS
    rows = await outbox_rows(services, "reminder")
    # The unit owes a new follow-up, counted from the reply (8 Jan): 13, 15 Jan, then overdue.
    assert [local_day(r.not_before) for r in rows if r.recipient == str(UNIT_CHAT)] == [
        D(2026, 1, 13), D(2026, 1, 15), D(2026, 1, 19), D(2026, 1, 20), D(2026, 1, 21),
        D(2026, 1, 22), D(2026, 1, 23),
    ]  # fmt: skip
