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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import officer_actor, record_event
from bot.cases.opening import apply_requester_details
from bot.desk.authz import CONFIRM_IDENTITY, refusal
from bot.errors import DomainError, PermissionDenied
from bot.i18n import t
from bot.notify.outbox import enqueue
from bot.notify.recipients import automatic_payload, requester_recipient
from bot.notify.send_windows import next_requester_time
from bot.privacy.masking import mask_name, mask_nik
from bot.workflow.rules import Rules
from store.models import Case, Event, Officer, Requester

# Who the requester is: changed by a message only with an officer's confirmation (issue #9).
IDENTITY_FIELDS = ("name", "nik", "entity_sk_number")
IDENTITY_CHANGE_EVENT = "identity_change_requested"
CONFIRMED_EVENT = "identity_change_confirmed"
REJECTED_EVENT = "identity_change_rejected"
DECISION_EVENTS = (CONFIRMED_EVENT, REJECTED_EVENT)
PURPOSE = "identity_change_decided"

_MASKERS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "nik": mask_nik,
    "entity_sk_number": lambda v: "*" * max(len(v) - 3, 0) + v[-3:],
}


@dataclass(frozen=True)
class IdentityRequest:
    """One pending identity change: its number (the event id), when it came, what it asks."""

    number: int
    at: dt.datetime
    channel: str
    fields: dict[str, str]

    def shown(self, *, reveal: bool) -> dict[str, Any]:
        """The request for display or JSON; values masked unless `reveal`."""
        values = {
            k: v if reveal else _MASKERS.get(k, lambda _: "***")(v) for k, v in self.fields.items()
        }
        return {"number": self.number, "at": self.at, "channel": self.channel, "fields": values}


async def _events(session: AsyncSession, case: Case, actions: tuple[str, ...]) -> list[Event]:
    stmt = (
        select(Event)
        .where(Event.case_id == case.id, col(Event.action).in_(actions))
        .order_by(col(Event.id))
    )
    return list((await session.exec(stmt)).all())


async def _decided(session: AsyncSession, case: Case) -> set[int]:
    return {int(e.data.get("request", 0)) for e in await _events(session, case, DECISION_EVENTS)}


async def pending_identity_changes(session: AsyncSession, case: Case) -> list[IdentityRequest]:
    """The identity change requests of `case` no officer has decided yet, oldest first."""
    decided = await _decided(session, case)
    return [
        IdentityRequest(
            number=int(e.id or 0),
            at=e.at,
            channel=str(e.data.get("channel", "")),
            fields={k: str(v) for k, v in (e.data.get("fields") or {}).items()},
        )
        for e in await _events(session, case, (IDENTITY_CHANGE_EVENT,))
        if e.id not in decided
    ]


async def _the_request(session: AsyncSession, case: Case, number: int) -> IdentityRequest:
    """Pending request `number` of `case`, else DomainError saying it is decided or unknown."""
    for request in await pending_identity_changes(session, case):
        if request.number == number:
            return request
    if number in await _decided(session, case):
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
    key = "identity.citizen.confirmed" if confirm else "identity.citizen.rejected"
    await enqueue(
        session,
        dedup_key=f"identity:{case.id}:{request.number}",
        channel=recipient.channel,
        recipient=recipient.address,
        purpose=PURPOSE,
        subject=t("identity.citizen.subject", lang, reference=case.reference),
        body=t(key, lang, reference=case.reference, fields=names),
        case_id=case.id,
        now=now,
        payload=automatic_payload(recipient.channel, case),
        not_before=next_requester_time(now, rules),
    )
