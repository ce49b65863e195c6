"""Identity changes a requester asked for by email, confirmed or rejected by an officer (issue #9).

Intake records a change of name, NIK or SK number already on record, asked for in a reply
that fills in details, as an `identity_change_requested` event and never applies it. Here an
officer lists the pending requests of a case, confirms one (the requester's fields are updated
through `apply_requester_details`, the path every channel fills in details by) or rejects one
(nothing changes). A request is numbered by its event id; its decision is a second event naming
that id, so the audit log alone says what was asked, who decided, and when. The citizen is told the
outcome on their channel, naming the fields but never repeating the values.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import officer_actor, record_event
from bot.cases.opening import apply_requester_details
from bot.desk.authz import CONFIRM_IDENTITY, refusal
from bot.errors import DomainError, PermissionDenied
from bot.i18n import t
from bot.intake.identity_requests import (
    CONFIRMED_EVENT,
    IDENTITY_FIELDS,
    REJECTED_EVENT,
    IdentityRequest,
    decided_requests,
    pending_identity_changes,
)
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import requester_recipient
from bot.notify.send_windows import next_requester_time
from bot.workflow.rules import Rules
from store.models import Case, Officer, Requester


async def _the_request(session: AsyncSession, case: Case, number: int) -> IdentityRequest:
    """Pending request `number` of `case`, else DomainError saying it is decided or unknown."""
    for request in await pending_identity_changes(session, case):
        if request.number == number:
            return request
    if number in await decided_requests(session, case):
        raise DomainError("identity.already_decided", number=number, reference=case.reference)
    raise DomainError("identity.no_such_request", number=number, reference=case.reference)


async def decide_identity_change(
    session: AsyncSession,
    case: Case,
    number: int,
    *,
    confirm: bool,
    officer: Officer | None,
    rules: Rules,
    now: dt.datetime,
    who: str,
) -> PermissionDenied | IdentityRequest:
    """Confirm (apply to the requester) or reject pending request `number`, audited with the
    officer as actor, and queue the citizen's notice; a refusal is returned (already audited in
    the caller's transaction, which must commit before raising it). Deciding twice is refused.
    """
    denied = await refusal(session, officer, CONFIRM_IDENTITY, case, now=now, who=who)
    if denied is not None:
        return denied
    assert officer is not None
    # Two officers deciding at once: on PostgreSQL the second waits here for the first and then
    # finds the request decided (SQLite lets one writer at a time through anyway).
    await session.exec(select(Case.id).where(Case.id == case.id).with_for_update())
    request = await _the_request(session, case, number)
    changed: list[str] = []
    if confirm:
        requester = await session.get(Requester, case.requester_id) if case.requester_id else None
        if requester is None:
            raise DomainError("identity.no_requester", reference=case.reference)
        wanted = {k: v for k, v in request.fields.items() if k in IDENTITY_FIELDS}
        changed = await apply_requester_details(session, requester, wanted)
        case.updated_at = now
        session.add(case)
    await record_event(
        session,
        case_id=case.id,
        actor=officer_actor(officer),
        action=CONFIRMED_EVENT if confirm else REJECTED_EVENT,
        at=now,
        data={"request": number, "fields": sorted(changed or request.fields)},
    )
    await _tell_requester(session, case, request, confirm=confirm, rules=rules, now=now)
    return request


async def _tell_requester(
    session: AsyncSession,
    case: Case,
    request: IdentityRequest,
    *,
    confirm: bool,
    rules: Rules,
    now: dt.datetime,
) -> None:
    """One outbox row to the requester's working contact: the outcome, fields named only."""
    recipient = await requester_recipient(session, case)
    if recipient is None:
        return
    lang = case.language
    names = ", ".join(t(f"mail.label.{k}", lang) for k in sorted(request.fields))
    await notify(
        session,
        purpose=Purpose.IDENTITY_CHANGE_DECIDED,
        recipient=recipient,
        key="identity.citizen.confirmed" if confirm else "identity.citizen.rejected",
        params={"reference": case.reference, "fields": names},
        subject=t("identity.citizen.subject", lang, reference=case.reference),
        case=case,
        dedup_key=f"identity:{case.id}:{request.number}",
        now=now,
        not_before=next_requester_time(now, rules),
    )
