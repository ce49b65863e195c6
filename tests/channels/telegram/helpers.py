"""Cases made without chatting, for tests that start mid-story."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.cases.audit import SYSTEM
from bot.cases.opening import get_case
from bot.intake.door import InboundMessage
from bot.services import Services
from bot.workflow import requests
from bot.workflow.rules import load_rules
from store.enums import CaseKind, Channel, Role
from store.models import Case, Unit
from tests.channels.telegram.conftest import Person
from tests.support.builders import COMPLETE_REQUEST, VALID_NIK, make_officer, make_unit
from tests.support.staff import Staff, make_staff

# Siti's answers to the information request form, in the form's order.
SITI_REQUEST = ("Siti Aminah", VALID_NIK, "Jl. Merdeka No. 1, Gambir, Jakarta Pusat",
                "siti@example.id", "Laporan realisasi anggaran dinas tahun 2025",
                "Penelitian skripsi")  # fmt: skip


async def fill_request_form(citizen: Person) -> dict[str, Any]:
    """Go through the information request form as Siti, a softcopy by email, up to its
    summary (before "Kirim"); the summary message."""
    await citizen.send("/start")
    await citizen.tap("Permohonan Informasi")
    for answer in SITI_REQUEST:
        await citizen.send(answer)
    await citizen.tap("softcopy")
    return await citizen.tap("Email")


async def telegram_case(
    services: Services,
    chat_id: int = 42,
    *,
    kind: CaseKind = CaseKind.INFORMATION_REQUEST,
    fields: dict[str, Any] | None = None,
    tag: str = "1",
) -> Case:
    """A case filed through intake by the Telegram user `chat_id` (its ack left queued)."""
    if fields is None:
        fields = (
            dict(COMPLETE_REQUEST)
            if kind == CaseKind.INFORMATION_REQUEST
            else {"description": "Jalan berlubang di depan pasar", "classification": "pengaduan"}
        )
    result = await services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.TELEGRAM,
            external_id=f"seed:{chat_id}:{tag}",
            sender=str(chat_id),
            sender_name=fields.get("name", "Warga"),
            text=fields.get("information_requested") or fields.get("description") or "",
            received_at=services.clock.now(),
            new_case_kind=kind,
            fields=fields,
        )
    )
    async with services.db.session() as session:
        return await get_case(session, result.case_reference or "")


async def refuse(services: Services, case: Case) -> Case:
    """Decide the request as refused under Pasal 17 b."""
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        stored = await session.get(Case, case.id)
        assert stored is not None
        return await requests.decide(
            session,
            stored,
            decision="refused",
            refusal_ground="b",
            consequence_test="Membahayakan penegakan hukum",
            rules=rules,
            actor=SYSTEM,
            now=services.clock.now(),
        )


@dataclass(frozen=True)
class Desk:
    """The staff of tests.support.staff plus a unit officer and another unit's PPID Pelaksana."""

    staff: Staff
    unit_officer: int = 502
    other_unit_id: int = 0
    other_pelaksana: int = 511
    other_chat: int = -1002


async def make_desk(services: Services) -> Desk:
    """Create the whole staff (unit dinkes with chat -1001, unit dishub with chat -1002)."""
    staff = await make_staff(services)
    await make_officer(services, Role.UNIT_OFFICER, staff.unit_id, 502)
    other = await make_unit(services, "dishub", "Dinas Perhubungan")
    async with services.db.transaction() as session:
        stored = await session.get(Unit, other.id)
        assert stored is not None
        stored.telegram_chat_id = -1002
    await make_officer(services, Role.PPID_PELAKSANA, other.id, 511)
    assert other.id is not None
    return Desk(staff, other_unit_id=other.id)


async def fetch(services: Services, case: Case) -> Case:
    """The case as stored now."""
    async with services.db.session() as session:
        stored = await session.get(Case, case.id)
    assert stored is not None
    return stored
