"""Opening cases and filling in their details, whatever channel they came by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import StoredFile, attach_files
from bot.cases.audit import record_event
from bot.cases.fields import (
    CONTACT_DETAILS,
    FIELD,
    FIELDS,
    REQUESTER_DETAILS,
    case_details,
    required_fields,
)
from bot.cases.references import allocate_reference
from bot.cases.together import write_now
from bot.errors import DomainError, NotFoundError
from bot.intake.requesters import (
    add_contacts,
    clean_value,
    contacts_of,
    known_contact_kinds,
    set_own_fields,
)
from bot.intake.validation import normalise_phone, validate_email
from bot.notify.case_events import case_changed
from bot.workflow.machine import apply_transition, check_allowed
from bot.workflow.objections import check_objection
from bot.workflow.report_columns import refresh_derived
from bot.workflow.rules import Rules
from store.enums import (
    CaseKind,
    Channel,
    ComplaintStatus,
    ContactKind,
    ObjectionStatus,
    RequestStatus,
)
from store.models import Case, Requester


def _validated_case_fields(kind: CaseKind, details: dict[str, Any]) -> dict[str, Any]:
    allowed = case_details(kind)
    fields = {k: clean_value(v) for k, v in details.items() if k in allowed and v not in (None, "")}
    for spec in FIELDS:
        if spec.kind == "choice" and spec.name in fields:
            spec.check_choice(fields[spec.name])
    if isinstance(fields.get("incident_date"), str):
        try:
            fields["incident_date"] = dt.date.fromisoformat(fields["incident_date"])
        except ValueError:
            raise DomainError("fields.date_invalid") from None
    return fields


async def apply_requester_details(
    session: AsyncSession, requester: Requester, details: dict[str, Any]
) -> list[str]:
    """Validate and store the requester's own fields (NIK, phone, email, ...); return names set."""
    changed = set_own_fields(requester, details)
    session.add(requester)
    if requester.id is None:  # else the change goes with the transaction's next flush
        await session.flush()
    contacts: list[tuple[ContactKind, str]] = []
    if clean_value(details.get("phone")):
        contacts.append((ContactKind.PHONE, normalise_phone(details["phone"])))
        changed.append("phone")
    if clean_value(details.get("email")):
        contacts.append((ContactKind.EMAIL, validate_email(details["email"])))
        changed.append("email")
    await add_contacts(session, requester, contacts)  # one lookup for both, written together
    return changed


async def missing_fields(session: AsyncSession, case: Case) -> list[str]:
    """The required fields of the case's kind that are still empty (domain.md §2), in form
    order: a field is present when any detail it stores has a value (a contact for phone and
    email)."""
    required = required_fields(case.kind)
    if not required:
        return []
    requester = await session.get(Requester, case.requester_id) if case.requester_id else None
    kinds = known_contact_kinds(session, requester.id if requester else None)
    if kinds is None:
        contacts = await contacts_of(session, requester.id) if requester and requester.id else []
        kinds = {c.kind for c in contacts}

    def has(detail: str) -> bool:
        if detail in CONTACT_DETAILS:
            return detail in kinds
        if detail in REQUESTER_DETAILS:
            return bool(requester and getattr(requester, detail))
        return bool(getattr(case, detail))

    return [name for name in required if not any(has(d) for d in FIELD[name].details)]


async def open_case(session: AsyncSession, **opening: Any) -> Case:
    """Register a new request or complaint (see `open_case_noting_missing`, whose keyword
    arguments it takes): reference issued at once, due date set, audited."""
    case, _missing = await open_case_noting_missing(session, **opening)
    return case


async def open_case_noting_missing(
    session: AsyncSession,
    *,
    kind: CaseKind | str,
    channel: Channel | str,
    requester: Requester,
    received_at: dt.datetime,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
    unit_id: int | None = None,
    language: str | None = None,
) -> tuple[Case, list[str]]:
    """Register a new request or complaint: reference issued at once, due date set, audited;
    return it with its required fields still empty (`missing_fields` as it opened).

    The reference is the requester's proof of request (UU KIP Pasal 22(4)-(5)), so it is issued
    even when required fields are missing; such a request is `incomplete` until they arrive.
    The case is written once, its status and derived columns settled before its INSERT.
    """
    kind = CaseKind(kind)
    if kind == CaseKind.OBJECTION:
        raise ValueError("objections are opened with open_objection()")
    details = details or {}
    await apply_requester_details(session, requester, details)
    fields = _validated_case_fields(kind, details)
    year = rules.local_date(received_at).year
    case = Case(
        kind=kind.value,
        reference=await allocate_reference(session, kind, year, rules.settings),
        status=(
            RequestStatus.INCOMPLETE
            if kind == CaseKind.INFORMATION_REQUEST
            else ComplaintStatus.UNVERIFIED
        ),
        channel=Channel(channel).value,
        requester_id=requester.id,
        unit_id=unit_id,
        received_at=received_at,
        language=language or requester.language,
        created_at=now,
        updated_at=now,
        **fields,
    )
    missing = await missing_fields(session, case)  # not in the session yet: nothing flushed
    if kind == CaseKind.INFORMATION_REQUEST and not missing:
        # Complete on arrival: complete since receipt, even when registered later at the desk.
        case.status = RequestStatus.REGISTERED
        case.completed_at = received_at
    refresh_derived(case, rules)
    await write_now(session, case)
    await record_event(
        session,
        case_id=case.id,
        actor=actor,
        action="registered",
        at=now,
        to_status=case.status,
        data={"channel": case.channel, "due_date": case.due_date.isoformat()},
    )
    await case_changed(session, case, "registered", rules, now)
    return case, missing


async def update_details(
    session: AsyncSession,
    case: Case,
    details: dict[str, Any],
    *,
    rules: Rules,
    actor: str,
    now: dt.datetime,
) -> list[str]:
    """Fill in fields on an open case; an incomplete request becomes registered when complete.

    Returns the names of the fields that were set.
    """
    kind = CaseKind(case.kind)
    # Before touching the requester: a closed case must stay exactly as it was.
    check_allowed(case, "update_details")
    fields = _validated_case_fields(kind, details)
    requester = await session.get(Requester, case.requester_id) if case.requester_id else None
    changed = await apply_requester_details(session, requester, details) if requester else []
    await apply_transition(
        session,
        case,
        "update_details",
        rules=rules,
        actor=actor,
        now=now,
        changes=fields,
        data={"fields": sorted([*fields, *changed])},
    )
    if case.status == RequestStatus.INCOMPLETE and not await missing_fields(session, case):
        await apply_transition(
            session,
            case,
            "complete",
            rules=rules,
            actor=actor,
            now=now,
            changes={"completed_at": now},
        )
    return sorted([*fields, *changed])


async def open_objection(
    session: AsyncSession,
    request: Case,
    *,
    ground: str,
    reason: str,
    channel: Channel | str,
    rules: Rules,
    actor: str,
    now: dt.datetime,
    attachments: Sequence[StoredFile] = (),
) -> Case:
    """Register an objection against `request` with its own reference and 30-day deadline;
    `attachments` (the citizen's files, already in the blob store) become the case's files."""
    letter = check_objection(request, ground, reason, rules, now)
    case = Case(
        kind=CaseKind.OBJECTION.value,
        reference=await allocate_reference(
            session, CaseKind.OBJECTION, rules.local_date(now).year, rules.settings
        ),
        status=ObjectionStatus.REGISTERED.value,
        channel=Channel(channel).value,
        requester_id=request.requester_id,
        unit_id=request.unit_id,
        parent_case_id=request.id,
        received_at=now,
        language=request.language,
        objection_ground=letter,
        objection_reason=reason.strip(),
        information_requested=request.information_requested,
        purpose=request.purpose,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    refresh_derived(case, rules)
    attach_files(session, None, attachments, case_id=case.id, at=now)
    await record_event(
        session,
        case_id=case.id,
        actor=actor,
        action="registered",
        at=now,
        to_status=case.status,
        data={"request": request.reference, "ground": letter, "files": len(attachments)},
    )
    await case_changed(session, case, "registered", rules, now)
    return case


async def get_case(session: AsyncSession, reference: str) -> Case:
    """The case with this reference (case-insensitive), or NotFoundError."""
    ref = (reference or "").strip().upper()
    case = (await session.exec(select(Case).where(Case.reference == ref))).first()
    if case is None:
        raise NotFoundError("cases.not_found", reference=ref)
    return case
