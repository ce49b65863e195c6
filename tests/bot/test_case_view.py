"""A case as officers see it: personal data masked everywhere unless revealing is asked for."""

from __future__ import annotations

import datetime as dt
import json

from bot.cases.view import case_view
from bot.intake.door import InboundMessage
from bot.services import Services
from bot.workflow import complaints
from store.enums import CaseKind, Channel
from store.models import Case
from tests.bot.workflow.helpers import step, wib

NIK = "3171014501900001"
PHONE = "+6281234567890"


async def _complaint(services: Services, **fields: object) -> Case:
    services.clock.set(wib("2026-01-05"))  # type: ignore[attr-defined]
    result = await services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.WHATSAPP,
            external_id="wamid.9",
            sender=PHONE,
            sender_name="Siti Aminah",
            text=f"Saya {NIK}, hubungi 0812-3456-7890 atau siti@example.id",
            received_at=wib("2026-01-05"),
            new_case_kind=CaseKind.COMPLAINT,
            fields={"nik": NIK, "address": "Jl. Merdeka 1", **fields},
        )
    )
    async with services.db.session() as session:
        case = await session.get(Case, 1)
        assert case is not None and case.reference == result.case_reference
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.hold(
            s, c, reason=f"Tunggu KTP {NIK}, telp {PHONE}", rules=rules, actor="t", now=now
        )
    return case


def _dump(view: dict) -> str:
    return json.dumps(view, default=str)


async def test_everything_is_masked_without_reveal(services: Services) -> None:
    case = await _complaint(services)
    async with services.db.session() as session:
        view = await case_view(session, case, reveal=False)
    text = _dump(view)
    for secret in (NIK, PHONE, "081234567890", "0812-3456-7890", "siti@example.id", "Merdeka"):
        assert secret not in text, secret
    assert view["requester"]["name"] == "S. A."
    assert view["requester"]["nik"] == "3171********0001"
    assert view["requester"]["contacts"] == [
        {"kind": "phone", "value": "+62812*****890", "failing": False}
    ]
    assert (
        view["events"][-1]["data"]["reason"] == "Tunggu KTP 3171********0001, telp +62812*****890"
    )
    assert view["messages"][0]["sender"] == "+62812*****890"
    assert view["description"].startswith("Saya 3171********0001, hubungi 0812*****890")


async def test_reveal_shows_it_all(services: Services) -> None:
    case = await _complaint(services)
    async with services.db.session() as session:
        view = await case_view(session, case, reveal=True)
    assert view["requester"]["nik"] == NIK
    assert view["requester"]["address"] == "Jl. Merdeka 1"
    assert view["events"][-1]["data"]["reason"] == f"Tunggu KTP {NIK}, telp {PHONE}"
    assert view["messages"][0]["sender"] == PHONE


async def test_anonymous_complainant_is_hidden(services: Services) -> None:
    case = await _complaint(services, anonymous=True)
    async with services.db.session() as session:
        hidden = await case_view(session, case, reveal=False)
        shown = await case_view(session, case, reveal=True)
    assert hidden["requester"] == {"anonymous": True}
    assert shown["requester"]["nik"] == NIK
    assert hidden["anonymous"] is True


async def test_view_lists_events_in_order(services: Services) -> None:
    case = await _complaint(services)
    async with services.db.session() as session:
        view = await case_view(session, case, reveal=False)
    assert [(e["action"], e["to"]) for e in view["events"]] == [
        ("registered", "unverified"),
        ("hold", "on_hold"),
    ]
    assert isinstance(view["events"][0]["at"], dt.datetime)
