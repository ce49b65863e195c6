"""Information-request reminders over whole lifecycles on the real 2025-2026 calendars."""

from __future__ import annotations

import datetime as dt

from bot.cases.opening import get_case
from bot.services import Services
from bot.workflow import requests
from bot.workflow.rules import load_rules
from store.enums import Decision
from store.models import Case, OutboxMessage
from tests.support.builders import COMPLETE_REQUEST, make_case
from tests.support.staff import Staff, make_staff
from tests.support.timeline import at, days, local_day, outbox_rows, tick_through

D = dt.date
STAFF = Staff(0, 0)
UNIT_CHAT, OFFICER, UTAMA, ATASAN, ADMIN = (
    STAFF.unit_chat, STAFF.officer, STAFF.utama, STAFF.atasan, STAFF.admin
)  # fmt: skip


async def staff(services: Services) -> tuple[int, int]:
    """The unit and officer ids of a fully staffed body."""
    made = await make_staff(services)
    return made.unit_id, made.officer_id


async def receive(services: Services, when: dt.datetime) -> Case:
    """A complete request received at `when` from a requester with an email address."""
    services.clock.set(when)  # type: ignore[attr-defined]
    return await make_case(
        services, received_at=when, details={**COMPLETE_REQUEST, "email": "siti@example.test"}
    )


async def act(services: Services, when: dt.datetime, reference: str, step: str, **kw: object):
    """Apply a workflow step to the case at instant `when`."""
    services.clock.set(when)  # type: ignore[attr-defined]
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        case = await get_case(session, reference)
        await getattr(requests, step)(session, case, rules=rules, actor="test", now=when, **kw)


def reminders(rows: list[OutboxMessage]) -> list[tuple[dt.date, str]]:
    """(local day, recipient) of each reminder row."""
    return [(local_day(r.not_before), r.recipient) for r in rows]


async def test_lebaran_2025_request_lifecycle(services: Services) -> None:
    unit_id, officer_id = await staff(services)
    case = await receive(services, at(D(2025, 3, 27), 10))  # the Thursday before Lebaran
    assert case.due_date == D(2025, 4, 22)

    await tick_through(services, D(2025, 3, 27), D(2025, 4, 7))
    assert await outbox_rows(services, "reminder", "digest") == []  # Nyepi and Lebaran closures
    officers = {str(x) for x in (UNIT_CHAT, OFFICER, UTAMA, ATASAN, ADMIN)}

    await act(
        services, at(D(2025, 4, 8), 7, 30), case.reference, "dispose",
        unit_id=unit_id, officer_id=officer_id,
    )  # fmt: skip
    await tick_through(services, D(2025, 4, 8), D(2025, 4, 23))
    await tick_through(services, D(2025, 4, 24), D(2025, 4, 24), times=(dt.time(8), dt.time(12)))
    await act(
        services, at(D(2025, 4, 24), 12, 30), case.reference, "decide",
        decision=Decision.GRANTED_FULL,
    )  # fmt: skip
    await tick_through(services, D(2025, 4, 24), D(2025, 5, 2))

    officer = str(OFFICER)
    assert reminders(await outbox_rows(services, "reminder")) == [
        (D(2025, 4, 16), officer),  # 3 working days before (Good Friday 18 April is skipped)
        (D(2025, 4, 21), officer),  # 1 working day before
        (D(2025, 4, 22), officer),  # the 10th working day: decide or extend today
        (D(2025, 4, 23), officer),  # overdue by 1 working day
        (D(2025, 4, 24), officer),  # overdue by 2: copied to the PPID Utama and the Atasan
        (D(2025, 4, 24), str(UTAMA)),
        (D(2025, 4, 24), str(ATASAN)),
    ]
    texts = [r.body for r in await outbox_rows(services, "reminder")]
    assert "2025-04-22" in texts[0] and "3 hari kerja" in texts[0]
    assert "10 hari kerja" in texts[2] and "perpanjangan" in texts[2]

    digests = await outbox_rows(services, "digest")
    expected_digest_days = [
        d for d in days(D(2025, 4, 8), D(2025, 4, 24)) if d.weekday() < 5 and d != D(2025, 4, 18)
    ]
    assert [local_day(r.not_before) for r in digests] == expected_digest_days
    assert {r.recipient for r in digests} == {str(UNIT_CHAT)}
    assert "TERLAMBAT" in digests[-1].body and "Siti" not in digests[-1].body

    closed = set(days(D(2025, 3, 28), D(2025, 4, 7)))
    assert not [r for r in await outbox_rows(services) if r.recipient in officers
                and local_day(r.not_before) in closed]  # fmt: skip
    for row in await outbox_rows(services, "reminder", "digest"):
        local = row.not_before.astimezone(at(D(2025, 1, 1)).tzinfo)
        assert dt.time(8) <= local.time() < dt.time(16), row

    to_requester = await outbox_rows(
        services, "status_update", "progress_update", "survey_invitation"
    )
    assert [(r.purpose, local_day(r.not_before)) for r in to_requester] == [
        ("progress_update", D(2025, 4, 3)),  # weekly, counted from the Thursday of receipt
        ("status_update", D(2025, 4, 8)),  # disposed
        ("progress_update", D(2025, 4, 10)),
        ("progress_update", D(2025, 4, 17)),
        ("progress_update", D(2025, 4, 24)),
        ("status_update", D(2025, 4, 24)),  # decided, with the right to object
        ("survey_invitation", D(2025, 4, 25)),
    ]
    assert {r.recipient for r in to_requester} == {"siti@example.test"}
    decided = to_requester[5]
    # Objection deadline: 30 working days after 24 April 2025 (Ascension, Vesak, 30 May...).
    assert "DIKABULKAN SELURUHNYA" in decided.body and "keberatan" in decided.body
    assert to_requester[6].payload["case_id"] == case.id  # the survey it invites to
    for row in to_requester:
        assert (
            dt.time(6) <= row.not_before.astimezone(at(D(2025, 1, 1)).tzinfo).time() < dt.time(21)
        )


async def test_request_received_on_a_saturday(services: Services) -> None:
    await staff(services)
    case = await receive(services, at(D(2026, 1, 10), 11))
    assert case.due_date == D(2026, 1, 26)  # counting starts Monday; 16 January is Isra Mi'raj
    await tick_through(services, D(2026, 1, 10), D(2026, 1, 26))
    rows = await outbox_rows(services, "reminder")
    # Not disposed yet: the front desk (PPID Utama and admins) is reminded.
    assert sorted(reminders(rows)) == sorted(
        (day, who)
        for day in (D(2026, 1, 21), D(2026, 1, 23), D(2026, 1, 26))
        for who in (str(UTAMA), str(ADMIN))
    )


async def test_ten_days_down_sends_only_what_is_still_relevant_once(services: Services) -> None:
    unit_id, officer_id = await staff(services)
    case = await receive(services, at(D(2026, 1, 10), 11))
    await act(
        services, at(D(2026, 1, 12), 9), case.reference, "dispose",
        unit_id=unit_id, officer_id=officer_id,
    )  # fmt: skip
    await tick_through(services, D(2026, 1, 12), D(2026, 1, 13))
    # Down from 14 January to 23 January: the 3-days-before reminder (21st) is missed.
    await tick_through(services, D(2026, 1, 24), D(2026, 1, 27))
    rows = await outbox_rows(services, "reminder")
    assert reminders(rows) == [
        (D(2026, 1, 26), str(OFFICER)),  # due today (the 1-day reminder on 23rd is obsolete)
        (D(2026, 1, 27), str(OFFICER)),  # overdue by one working day
    ]
    digests = await outbox_rows(services, "digest")
    assert [local_day(r.not_before) for r in digests] == [
        D(2026, 1, 12), D(2026, 1, 13), D(2026, 1, 26), D(2026, 1, 27)
    ]  # fmt: skip


async def test_extension_moves_the_reminders_and_drops_decide_or_extend(services: Services) -> None:
    await staff(services)
    case = await receive(services, at(D(2026, 1, 10), 11))
    await act(services, at(D(2026, 1, 20), 10), case.reference, "extend", reason="Arsip di gudang")
    await tick_through(services, D(2026, 1, 20), D(2026, 2, 6), times=(dt.time(9),), repeat=1)
    async with services.db.session() as session:
        due = (await get_case(session, case.reference)).due_date
    assert due == D(2026, 2, 4)  # 17 working days
    rows = await outbox_rows(services, "reminder")
    assert sorted({d for d, _ in reminders(rows)}) == [
        D(2026, 1, 30), D(2026, 2, 3), D(2026, 2, 4), D(2026, 2, 5), D(2026, 2, 6)
    ]  # fmt: skip
    assert not any("perpanjangan" in r.body for r in rows)
    update = (await outbox_rows(services, "status_update"))[0]
    assert "Arsip di gudang" in update.body and "Rabu, 4 Februari 2026" in update.body
