"""Cases put straight into any status, with the fields a real case in that status would have.

The clock fixture stands at Monday 2026-01-05 09:00 WIB; every case here was received before
it, so that the guards of the legal steps (deadlines, follow-up ages) are met.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlmodel import col, select

from bot.services import Services
from bot.workflow.deadlines import compute_due_date
from bot.workflow.rules import Rules, load_rules
from store.enums import (
    AtasanDecision,
    CaseKind,
    ComplaintStatus,
    Decision,
    DisputeOutcome,
    ObjectionStatus,
    RequestStatus,
)
from store.models import Case, Event, Requester, Unit

_serial = itertools.count(1)
DAY = dt.timedelta(days=1)

STATUSES: dict[CaseKind, tuple[str, ...]] = {
    CaseKind.INFORMATION_REQUEST: tuple(RequestStatus),
    CaseKind.COMPLAINT: tuple(ComplaintStatus),
    CaseKind.OBJECTION: tuple(ObjectionStatus),
}


def _status_fields(kind: CaseKind, status: str, now: dt.datetime, unit_id: int) -> dict[str, Any]:
    """What a case of `kind` carries once it has reached `status`."""
    received = now - DAY
    if kind == CaseKind.INFORMATION_REQUEST:
        fields: dict[str, Any] = {
            "received_at": received,
            "information_requested": "Laporan keuangan 2025",
            "purpose": "Penelitian",
            "obtain_method": "salinan_softcopy",
            "delivery_method": "email",
        }
        if status != RequestStatus.INCOMPLETE:
            fields["completed_at"] = received
        if status in (RequestStatus.IN_PROGRESS, RequestStatus.EXTENDED, RequestStatus.DECIDED):
            fields["unit_id"] = unit_id
        if status == RequestStatus.EXTENDED:
            fields |= {"extended_at": now, "extension_days": 7, "extension_reason": "Banyak"}
        if status == RequestStatus.DECIDED:
            fields |= {"decision": Decision.GRANTED_FULL, "decided_at": now, "closed_at": now}
        return fields
    if kind == CaseKind.COMPLAINT:
        fields = {"received_at": received, "description": "Jalan rusak"}
        if status != ComplaintStatus.UNVERIFIED:
            fields |= {"verified_at": received, "disposed_at": received, "unit_id": unit_id}
        if status in (ComplaintStatus.IN_PROCESS, ComplaintStatus.DONE):
            # Posted long enough ago that the automatic close is due.
            fields |= {"followed_up_at": now - 30 * DAY, "followup_text": "Sudah diperbaiki"}
        if status == ComplaintStatus.DONE:
            fields["closed_at"] = now - DAY
        if status == ComplaintStatus.ON_HOLD:
            fields |= {"held_from_status": ComplaintStatus.DISPOSED, "status_reason": "Menunggu"}
        if status in (ComplaintStatus.ARCHIVED, ComplaintStatus.NOT_OUR_AUTHORITY):
            fields |= {"closed_at": now, "status_reason": "Ganda", "forwarded_to": "Polda"}
        return fields
    # Objections: received long enough ago that the Atasan's 30 working days have lapsed
    # (so a dispute may be filed), but not so long that the 14 days after that are over.
    fields = {"received_at": now - 50 * DAY, "objection_ground": "c", "objection_reason": "Diam"}
    if status != ObjectionStatus.REGISTERED:
        fields |= {
            "answered_at": now - DAY,
            "atasan_decision": AtasanDecision.UPHELD,
            "atasan_reasons": "Sesuai Pasal 17",
            "atasan_name": "Budi",
            "atasan_position": "Sekretaris Daerah",
            "closed_at": now - DAY,
        }
    if status in (ObjectionStatus.DISPUTED, ObjectionStatus.CLOSED):
        fields["dispute_filed_at"] = now
    if status == ObjectionStatus.CLOSED:
        fields |= {"dispute_outcome": DisputeOutcome.MEDIATION, "dispute_result": "Damai"}
    return fields


async def make_case_in_status(
    services: Services, kind: CaseKind, status: str, unit_id: int | None = None
) -> Case:
    """A case of `kind` in `status` as of the clock's now, with its due date computed."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        if unit_id is None:
            unit = Unit(code=f"u{next(_serial)}", name=f"Unit {next(_serial)}")
            session.add(unit)
            await session.flush()
            unit_id = unit.id
        requester = Requester(name="Siti Aminah", nik="3171014501900001", address="Jl. Merdeka")
        session.add(requester)
        await session.flush()
        prefix = {"information_request": "PPID", "complaint": "ADU", "objection": "KEB"}[kind]
        case = Case(
            kind=kind.value,
            reference=f"{prefix}/2026/{next(_serial):06d}",
            status=status,
            channel="buku_tamu",
            requester_id=requester.id,
            created_at=now,
            updated_at=now,
            **_status_fields(kind, status, now, unit_id),  # type: ignore[arg-type]
        )
        rules = await load_rules(session, services.settings)
        if kind == CaseKind.OBJECTION and status != ObjectionStatus.REGISTERED:
            case.due_date = rules.calendar.add_working_days(
                rules.local_date(case.answered_at),
                14,  # type: ignore[arg-type]
            )
        else:
            case.due_date = compute_due_date(case, rules)
        session.add(case)
        await session.flush()
        return case


async def rules_of(services: Services) -> Rules:
    """The rules in force for the test's database."""
    async with services.db.session() as session:
        return await load_rules(session, services.settings)


async def snapshot(services: Services, case_id: int) -> dict[str, Any]:
    """Everything an illegal step must leave alone: the case row, its requester, its events."""
    async with services.db.session() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        requester = await session.get(Requester, case.requester_id)
        events = await session.exec(select(Event).where(Event.case_id == case_id))
        return {
            "case": case.model_dump(),
            "requester": requester.model_dump() if requester else None,
            "events": len(events.all()),
        }


async def events_of(services: Services, case_id: int) -> list[Event]:
    """The case's audit events, oldest first."""
    async with services.db.session() as session:
        stmt = select(Event).where(Event.case_id == case_id).order_by(col(Event.id))
        return list((await session.exec(stmt)).all())
