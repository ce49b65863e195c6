"""What a requester may see and do on their own cases, identified by one of their contacts.

Every lookup starts from the contact (the chat account or address they wrote from), so a
requester only ever sees or touches their own cases (domain.md §5).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import StoredFile
from bot.cases.audit import requester_actor
from bot.cases.opening import open_objection
from bot.errors import NotFoundError
from bot.intake.requesters import find_requester
from bot.workflow.objections import GroundWindow, available_grounds
from bot.workflow.rules import Rules
from store.enums import CLOSED_STATUSES, CaseKind, Channel, ContactKind
from store.models import Case, Message

STATUS_LIMIT = 10
# Ground b (periodic information not published) is open against every request at any time, so
# it alone does not make a case worth offering an objection on.
_ALWAYS_OPEN = "b"


@dataclass(frozen=True)
class CaseStatus:
    """One line of a requester's status list: the case, its last message, its open grounds."""

    case: Case
    last_message: Message | None
    grounds: list[GroundWindow]


async def cases_of_contact(
    session: AsyncSession, kind: ContactKind, value: str, *, open_only: bool = False
) -> list[Case]:
    """The cases of the requester behind this contact, newest first."""
    requester = await find_requester(session, kind, value)
    if requester is None:
        return []
    stmt = select(Case).where(Case.requester_id == requester.id)
    if open_only:
        stmt = stmt.where(col(Case.status).not_in(list(CLOSED_STATUSES)))
    stmt = stmt.order_by(col(Case.received_at).desc(), col(Case.id).desc())
    return list((await session.exec(stmt)).all())


async def owned_case(session: AsyncSession, kind: ContactKind, value: str, case_id: int) -> Case:
    """The case if it belongs to the requester behind this contact; NotFoundError otherwise
    (the same answer as for a case that does not exist, so nothing leaks)."""
    for case in await cases_of_contact(session, kind, value):
        if case.id == case_id:
            return case
    raise NotFoundError("cases.not_found", reference=str(case_id))


def objection_grounds(case: Case, rules: Rules, now: dt.datetime) -> list[GroundWindow]:
    """The Pasal 35 grounds open against this request today, or [] when only ground b is."""
    grounds = available_grounds(case, rules, now)
    return grounds if any(g.ground != _ALWAYS_OPEN for g in grounds) else []


async def status_list(
    session: AsyncSession, kind: ContactKind, value: str, rules: Rules, now: dt.datetime
) -> list[CaseStatus]:
    """The requester's most recent cases with their last message and open objection grounds."""
    result = []
    for case in (await cases_of_contact(session, kind, value))[:STATUS_LIMIT]:
        stmt = (
            select(Message)
            .where(Message.case_id == case.id)
            .order_by(col(Message.created_at).desc(), col(Message.id).desc())
            .limit(1)
        )
        last = (await session.exec(stmt)).first()
        result.append(CaseStatus(case, last, objection_grounds(case, rules, now)))
    return result


async def file_objection(
    session: AsyncSession,
    kind: ContactKind,
    value: str,
    request_id: int,
    *,
    ground: str,
    reason: str,
    channel: Channel,
    rules: Rules,
    now: dt.datetime,
    attachments: Sequence[StoredFile] = (),
) -> Case:
    """Register the requester's objection against their own request (UU KIP Pasal 35), with
    the files they sent for it."""
    request = await owned_case(session, kind, value, request_id)
    if request.kind != CaseKind.INFORMATION_REQUEST:
        raise NotFoundError("cases.not_found", reference=request.reference)
    return await open_objection(
        session,
        request,
        ground=ground,
        reason=reason,
        channel=channel,
        rules=rules,
        actor=requester_actor(request.requester_id),
        now=now,
        attachments=attachments,
    )
