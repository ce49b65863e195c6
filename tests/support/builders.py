"""Builders for test data: complete requests, complaints and units in a few words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.cases.opening import open_case
from bot.desk.identities import ChannelIdentity, set_identity
from bot.services import Services
from bot.workflow import requests
from bot.workflow.rules import load_rules
from store.enums import CaseKind, Channel
from store.models import Case, Officer, Requester, Unit

VALID_NIK = "3171014501900001"  # Jakarta Pusat, born 05-01-1990 (female: day + 40)

COMPLETE_REQUEST: dict[str, Any] = {
    "name": "Siti Aminah",
    "nik": VALID_NIK,
    "address": "Jl. Merdeka No. 1, Jakarta",
    "phone": "0812-3456-7890",
    "information_requested": "Laporan realisasi anggaran 2025",
    "purpose": "Penelitian skripsi",
    "obtain_method": "salinan_softcopy",
    "delivery_method": "email",
}


async def make_case(
    services: Services,
    *,
    kind: CaseKind = CaseKind.INFORMATION_REQUEST,
    received_at: dt.datetime | None = None,
    details: dict[str, Any] | None = None,
    channel: Channel = Channel.BUKU_TAMU,
    unit_id: int | None = None,
) -> Case:
    """Open a case as the desk would; a complete request unless `details` says otherwise."""
    if details is None:
        details = (
            dict(COMPLETE_REQUEST)
            if kind == CaseKind.INFORMATION_REQUEST
            else {"description": "Jalan rusak di depan pasar", "classification": "pengaduan"}
        )
    now = services.clock.now()
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        requester = Requester(name=details.get("name"))
        session.add(requester)
        await session.flush()
        return await open_case(
            session,
            kind=kind,
            channel=channel,
            requester=requester,
            received_at=received_at or now,
            rules=rules,
            actor="test",
            now=now,
            details=details,
            unit_id=unit_id,
        )


async def make_unit(services: Services, code: str = "dinkes", name: str | None = None) -> Unit:
    """A unit with a code and a name."""
    async with services.db.transaction() as session:
        unit = Unit(code=code, name=name or f"Unit {code}")
        session.add(unit)
        await session.flush()
        return unit


async def make_officer(
    services: Services, role: str, unit_id: int | None = None, telegram_user_id: int | None = None
) -> Officer:
    """A registered officer, with their Telegram identity when `telegram_user_id` is given."""
    async with services.db.transaction() as session:
        officer = Officer(name=f"Petugas {role}", role=role, unit_id=unit_id)
        session.add(officer)
        await session.flush()
        if telegram_user_id is not None:
            who = ChannelIdentity(Channel.TELEGRAM.value, str(telegram_user_id))
            await set_identity(session, officer, who.channel, who)
        return officer


async def decided_case(
    services: Services, *, phone: str = COMPLETE_REQUEST["phone"], decision: str = "granted_full"
) -> Case:
    """A complete request (of the requester with `phone`) decided by the desk: closed, so its
    requester may answer the survey."""
    case = await make_case(services, details={**COMPLETE_REQUEST, "phone": phone})
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        stored = await session.get(Case, case.id)
        assert stored is not None
        return await requests.decide(
            session, stored, decision=decision, rules=rules, actor="test", now=services.clock.now()
        )
