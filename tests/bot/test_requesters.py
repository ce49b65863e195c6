"""Requesters are found by how they reach us, whatever way the number or address is written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event

from bot.cases.opening import apply_requester_details
from bot.intake.door import InboundMessage
from bot.intake.requesters import (
    add_contact,
    contacts_of,
    find_or_create_requester,
    find_requester,
    normalise_contact,
)
from bot.services import Services
from store.enums import CaseKind, Channel, ContactKind
from store.models import Case
from tests.bot.workflow.helpers import request_details
from tests.support.builders import make_case


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        (ContactKind.PHONE, "0812-3456-7890", "+6281234567890"),
        (ContactKind.PHONE, "6281234567890", "+6281234567890"),
        (ContactKind.PHONE, " +62 812 3456 7890 ", "+6281234567890"),
        (ContactKind.PHONE, "not a number", "not a number"),
        (ContactKind.EMAIL, " Siti@Example.ID ", "siti@example.id"),
        (ContactKind.TELEGRAM, " 42 ", "42"),
    ],
)
def test_normalise_contact(kind: ContactKind, raw: str, stored: str) -> None:
    assert normalise_contact(kind, raw) == stored


async def test_find_or_create_matches_any_spelling(services: Services) -> None:
    async with services.db.transaction() as session:
        first = await find_or_create_requester(
            session, ContactKind.PHONE, "0812 3456 7890", name="Siti"
        )
        again = await find_or_create_requester(session, "phone", "6281234567890", name="Lain")
        assert again.id == first.id and again.name == "Siti"
        assert (await find_requester(session, ContactKind.PHONE, "+62-812-3456-7890")) is not None
        assert await find_requester(session, ContactKind.EMAIL, "siti@example.id") is None
        email = await add_contact(session, first, ContactKind.EMAIL, "SITI@example.id")
        assert (await add_contact(session, first, "email", "siti@EXAMPLE.id")).id == email.id
        contacts = await contacts_of(session, first.id)  # type: ignore[arg-type]
    assert [(c.kind, c.value) for c in contacts] == [
        ("phone", "+6281234567890"),
        ("email", "siti@example.id"),
    ]


async def test_whatsapp_sender_is_the_desk_requester(services: Services) -> None:
    desk = await make_case(services, details=request_details(phone="0812-3456-7890"))
    result = await services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.WHATSAPP,
            external_id="wamid.77",
            sender="6281234567890",
            text="Jalan di depan rumah rusak",
            received_at=dt.datetime(2026, 1, 5, 3, tzinfo=dt.UTC),
            new_case_kind=CaseKind.COMPLAINT,
        )
    )
    async with services.db.session() as session:
        case = await session.get(Case, 2)
    assert case is not None and case.reference == result.case_reference
    assert case.requester_id == desk.requester_id


async def test_a_forms_contacts_are_looked_up_once_and_written_in_one_statement(
    services: Services,
) -> None:
    # The phone and the email a form gives: one lookup for both and one INSERT of the new
    # ones (were a lookup and an INSERT each); a contact someone else owns is never moved.
    async with services.db.transaction() as session:
        other = await find_or_create_requester(session, ContactKind.EMAIL, "budi@example.id")
    seen: list[str] = []

    def ran(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    async with services.db.transaction() as session:
        siti = await find_or_create_requester(session, ContactKind.TELEGRAM, "42", name="Siti")
        await session.flush()  # her chat, the contact she came by
        event.listen(services.db.engine.sync_engine, "before_cursor_execute", ran)
        try:
            details = {"phone": "0812-3456-7890", "email": "Budi@Example.id"}
            changed = await apply_requester_details(session, siti, details)
        finally:
            event.remove(services.db.engine.sync_engine, "before_cursor_execute", ran)
        assert sorted(changed) == ["email", "phone"]
        contacts = await contacts_of(session, siti.id)  # type: ignore[arg-type]
        budi = await find_requester(session, ContactKind.EMAIL, "budi@example.id")
    assert len([sql for sql in seen if "FROM contacts" in sql]) == 1
    assert len([sql for sql in seen if sql.startswith("INSERT INTO contacts")]) == 1
    assert [(c.kind, c.value) for c in contacts] == [
        ("telegram", "42"),
        ("phone", "+6281234567890"),
    ]
    assert budi is not None and budi.id == other.id


async def test_a_forms_new_contacts_are_stored_in_the_order_given(services: Services) -> None:
    async with services.db.transaction() as session:
        siti = await find_or_create_requester(session, ContactKind.TELEGRAM, "42", name="Siti")
        details = {"phone": "0812-3456-7890", "email": "siti@example.id"}
        await apply_requester_details(session, siti, details)
        contacts = await contacts_of(session, siti.id)  # type: ignore[arg-type]
    assert [c.kind for c in contacts] == ["telegram", "phone", "email"]
