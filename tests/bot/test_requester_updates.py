"""Status updates to requesters: which changes, which channel, which language, what time."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.cases.opening import get_case, update_details
from bot.i18n import format_date
from bot.intake.requesters import add_contact
from bot.services import Services
from bot.workflow import complaints, requests
from bot.workflow.deadlines import objection_filing_deadline
from bot.workflow.rules import load_rules
from store.enums import CaseKind, Channel, ContactKind, Decision
from store.models import Case, Contact, OutboxMessage, Requester
from tests.support.builders import COMPLETE_REQUEST, make_case

WIB = dt.timezone(dt.timedelta(hours=7))


async def updates(services: Services) -> list[OutboxMessage]:
    """Every status update queued so far."""
    async with services.db.session() as session:
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "status_update")
            .order_by(col(OutboxMessage.id))
        )
        return list((await session.exec(stmt)).all())


async def step(services: Services, case: Case, module: object, name: str, **kw: object) -> None:
    """Apply workflow step `name` at the clock's time."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        fresh = await get_case(session, case.reference)
        await getattr(module, name)(session, fresh, rules=rules, actor="t", now=now, **kw)


async def with_contacts(services: Services, case: Case, *contacts: tuple[str, str]) -> None:
    """Give the case's requester more contacts: (kind, value) pairs."""
    async with services.db.transaction() as session:
        requester = await session.get(Requester, case.requester_id)
        assert requester is not None
        for kind, value in contacts:
            await add_contact(session, requester, kind, value)


async def test_opening_is_not_doubled_and_completion_is_announced(services: Services) -> None:
    details = {k: v for k, v in COMPLETE_REQUEST.items() if k != "purpose"}
    case = await make_case(services, details={**details, "email": "siti@example.test"})
    assert await updates(services) == []  # intake's acknowledgement covers registration
    now = services.clock.now()
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        fresh = await get_case(session, case.reference)
        await update_details(
            session, fresh, {"purpose": "Skripsi"}, rules=rules, actor="t", now=now
        )
    (update,) = await updates(services)
    assert update.recipient == "siti@example.test" and update.channel == "email"
    assert "terdaftar" in update.body and format_date(case.due_date, "id") in update.body
    assert update.payload["reply_case"] == case.reference  # the mail's Reply-To


async def test_extension_and_refusal_carry_reason_dates_and_the_right_to_object(
    services: Services,
) -> None:
    case = await make_case(services, details={**COMPLETE_REQUEST, "email": "siti@example.test"})
    await step(services, case, requests, "extend", reason="Dokumen di arsip daerah", days=5)
    services.clock.advance(dt.timedelta(days=2))  # type: ignore[attr-defined]
    await step(
        services, case, requests, "decide", decision=Decision.REFUSED, refusal_ground="c",
        consequence_test="Membahayakan pertahanan",
    )  # fmt: skip
    extended, decided = await updates(services)
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        due = (await get_case(session, case.reference)).due_date
    assert "Dokumen di arsip daerah" in extended.body and format_date(due, "id") in extended.body
    deadline = objection_filing_deadline(rules.local_date(services.clock.now()), rules)
    assert deadline == dt.date(2026, 2, 23)  # 30 working days; Isra Mi'raj, Imlek 16-17 Feb
    assert "Pasal 17 huruf c" in decided.body and "Senin, 23 Februari 2026" in decided.body


async def test_case_channel_first_then_any_working_contact(services: Services) -> None:
    case = await make_case(
        services, kind=CaseKind.COMPLAINT, channel=Channel.TELEGRAM,
        details={"description": "Jalan rusak", "classification": "pengaduan",
                 "email": "budi@example.test"},
    )  # fmt: skip
    await with_contacts(services, case, (ContactKind.TELEGRAM, "777"))
    await step(services, case, complaints, "hold", reason="Menunggu foto lokasi")
    async with services.db.transaction() as session:
        contact = (await session.exec(select(Contact).where(Contact.value == "777"))).one()
        contact.failing = True  # the requester blocked the bot
        session.add(contact)
    await step(services, case, complaints, "archive", reason="Duplikat")
    held, archived = await updates(services)
    assert (held.channel, held.recipient) == ("telegram", "777")
    assert "Menunggu foto lokasi" in held.body
    assert (archived.channel, archived.recipient) == ("email", "budi@example.test")


async def test_phone_only_requesters_get_nothing_and_english_is_honoured(
    services: Services,
) -> None:
    phone_only = await make_case(services)  # COMPLETE_REQUEST has a phone, no email
    await step(services, phone_only, requests, "extend", reason="x")
    assert await updates(services) == []
    case = await make_case(services, details={**COMPLETE_REQUEST, "email": "ann@example.test"})
    async with services.db.transaction() as session:
        fresh = await get_case(session, case.reference)
        fresh.language = "en"
        session.add(fresh)
    await step(services, case, requests, "extend", reason="Archive is off-site")
    (update,) = await updates(services)
    assert update.body.startswith("The period for information request")
    # The extension notice is the letter itself: attached, and named in the subject.
    assert update.subject == f"[{case.reference}] Notice of extension"
    assert update.payload["letters"] == ["extension"]


async def test_no_update_in_the_quiet_hours(services: Services) -> None:
    case = await make_case(
        services, kind=CaseKind.COMPLAINT, channel=Channel.EMAIL,
        details={"description": "Banjir", "classification": "pengaduan",
                 "email": "budi@example.test"},
    )  # fmt: skip
    services.clock.set(dt.datetime(2026, 1, 6, 22, 15, tzinfo=WIB))  # type: ignore[attr-defined]
    await step(services, case, complaints, "not_our_authority", destination="BPBD Provinsi")
    (update,) = await updates(services)
    assert "BPBD Provinsi" in update.body
    assert update.not_before == dt.datetime(2026, 1, 7, 6, 0, tzinfo=WIB)
