"""The review queue of email: mail that looked like a reply but matched no case, mail without
a usable sender. An officer attaches each item to a case, opens a new case from it, or
dismisses it; every choice is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event
from bot.cases.opening import get_case, open_case
from bot.errors import DomainError, NotFoundError
from bot.intake.requesters import find_or_create_requester
from bot.settings import Settings
from bot.workflow.rules import Rules
from channels.email.forms import parse_fields
from channels.email.ingest import MailDisposition, case_details, usable_address
from channels.email.mailboxes import ENV_MAILBOX
from channels.email.replies import queue_acknowledgement
from store.enums import CaseKind, Channel, ContactKind
from store.models import Attachment, Case, MailMailbox, MailRecord, Message


async def review_queue(session: AsyncSession) -> list[MailRecord]:
    """Items waiting for an officer, oldest first."""
    stmt = (
        select(MailRecord)
        .where(MailRecord.disposition == MailDisposition.REVIEW.value)
        .where(col(MailRecord.resolved_at).is_(None))
        .order_by(col(MailRecord.id))
    )
    return list((await session.exec(stmt)).all())


async def _pending(session: AsyncSession, record_id: int) -> MailRecord:
    record = await session.get(MailRecord, record_id)
    if record is None:
        raise NotFoundError("mail.review_not_found", id=record_id)
    if record.disposition != MailDisposition.REVIEW or record.resolved_at is not None:
        raise DomainError("mail.review_not_pending", id=record_id)
    return record


async def _move_message(session: AsyncSession, record: MailRecord, case: Case) -> Message | None:
    """Put the stored message and its attachments on `case`."""
    message = await session.get(Message, record.message_id) if record.message_id else None
    if message is not None:
        message.case_id = case.id
        session.add(message)
        attachments = await session.exec(
            select(Attachment).where(Attachment.message_id == message.id)
        )
        for attachment in attachments.all():
            attachment.case_id = case.id
            session.add(attachment)
    return message


def _resolve(
    record: MailRecord,
    disposition: MailDisposition,
    case: Case | None,
    actor: str,
    now: dt.datetime,
) -> None:
    record.disposition = disposition.value
    record.case_id = case.id if case else None
    record.resolved_at, record.resolved_by = now, actor[:128]


async def attach_to_case(
    session: AsyncSession, record_id: int, reference: str, *, actor: str, now: dt.datetime
) -> Case:
    """Append a review item to an existing case."""
    record = await _pending(session, record_id)
    case = await get_case(session, reference)
    await _move_message(session, record, case)
    _resolve(record, MailDisposition.APPENDED, case, actor, now)
    session.add(record)
    await record_event(
        session,
        case_id=case.id,
        actor=actor,
        action="mail_attached",
        at=now,
        data={"mail": record.id},
    )
    return case


async def _mailbox_defaults(
    session: AsyncSession, mailbox: str, settings: Settings
) -> tuple[CaseKind, int | None]:
    if mailbox != ENV_MAILBOX:
        row = (await session.exec(select(MailMailbox).where(MailMailbox.name == mailbox))).first()
        if row is not None:
            return CaseKind(row.case_kind), row.unit_id
    return CaseKind(settings.mail_default_kind), None


async def open_from_review(
    session: AsyncSession,
    record_id: int,
    *,
    kind: CaseKind | None,
    rules: Rules,
    actor: str,
    now: dt.datetime,
) -> Case:
    """Open a new case from a review item and acknowledge it to the sender, as intake would
    have; refused for mail without an address to answer."""
    record = await _pending(session, record_id)
    sender = usable_address(record.sender)
    message = await session.get(Message, record.message_id) if record.message_id else None
    if sender is None or message is None:
        raise DomainError("mail.review_no_sender", id=record_id)
    default_kind, unit_id = await _mailbox_defaults(session, record.mailbox, rules.settings)
    kind = kind or default_kind
    fields = parse_fields(message.text)
    requester = await find_or_create_requester(
        session, ContactKind.EMAIL, sender, name=message.sender_name
    )
    case = await open_case(
        session,
        kind=kind,
        channel=Channel.EMAIL,
        requester=requester,
        received_at=record.received_at,
        rules=rules,
        actor=actor,
        now=now,
        details={**case_details(kind, record.subject or "", fields), "email": sender},
        unit_id=unit_id,
    )
    await _move_message(session, record, case)
    _resolve(record, MailDisposition.NEW_CASE, case, actor, now)
    session.add(record)
    await queue_acknowledgement(
        session,
        case=case,
        recipient=sender,
        in_reply_to=record.message_id_header,
        rejected=tuple(message.meta.get("rejected_attachments", ())),
        errors=fields.errors,
        now=now,
        settings=rules.settings,
    )
    return case


async def dismiss(session: AsyncSession, record_id: int, *, actor: str, now: dt.datetime) -> None:
    """Close a review item without a case (spam, a stray reply)."""
    record = await _pending(session, record_id)
    _resolve(record, MailDisposition.IGNORED, None, actor, now)
    record.reason = "dismissed"
    session.add(record)
