"""The one entry point for inbound messages from every channel.

An adapter turns its transport input into a frozen `InboundMessage` and calls
`Intake.handle_inbound`; the core stores it (idempotently, keyed by channel + external id),
opens a case or appends to one, and queues the acknowledgement in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import FileData as InboundAttachment
from bot.cases.attachments import attach_files
from bot.cases.audit import record_event, requester_actor
from bot.cases.opening import missing_fields, open_case
from bot.clock import Clock
from bot.i18n import format_date, t
from bot.intake.requesters import find_or_create_requester
from bot.intake.validation import clean_name
from bot.letters.outbox import queue_intake_receipt
from bot.notify.case_events import case_changed
from bot.notify.outbox import enqueue
from bot.settings import Settings
from bot.workflow.complaint_rating import rating_from_reply
from bot.workflow.complaints import complainant_replied
from bot.workflow.rules import Rules, load_rules
from store.blobs import BlobStore
from store.db import Database
from store.enums import CaseKind, Channel, ComplaintStatus, ContactKind, Direction
from store.models import Case, Message, Requester

log = logging.getLogger(__name__)
_CONFLICT_ATTEMPTS = 3

CONTACT_KIND_OF_CHANNEL = {
    Channel.TELEGRAM: ContactKind.TELEGRAM,
    Channel.EMAIL: ContactKind.EMAIL,
    Channel.WHATSAPP: ContactKind.PHONE,
    Channel.TELEPON: ContactKind.PHONE,
}


@dataclass(frozen=True)
class InboundMessage:
    """One message from any channel, normalised by its adapter. Frozen: adapters hand it over."""

    channel: Channel
    external_id: str
    sender: str
    text: str
    received_at: dt.datetime
    sender_name: str | None = None
    subject: str | None = None
    attachments: tuple[InboundAttachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    new_case_kind: CaseKind | None = None
    case_reference: str | None = None
    language: str = "id"
    fields: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    # The unit a new case goes to (e.g. the unit of the mailbox it arrived in).
    unit_id: int | None = None
    # The adapter proved the thread (signed reply address, our Message-ID): the sender may
    # append to `case_reference` without being its requester.
    trusted_thread: bool = False
    # False when the adapter sends its own acknowledgement (email: bilingual, with a template).
    acknowledge: bool = True


class Disposition(StrEnum):
    """What intake did with a message."""

    NEW_CASE = "new_case"
    APPENDED = "appended"
    DUPLICATE = "duplicate"
    REVIEW = "review"


@dataclass(frozen=True)
class IntakeResult:
    """The outcome: what happened, the case reference if any, and what is still missing."""

    disposition: Disposition
    message_id: int
    case_reference: str | None = None
    due_date: dt.date | None = None
    missing: tuple[str, ...] = ()
    rejected_attachments: tuple[str, ...] = ()


class Intake:
    """Stores inbound messages and turns them into cases; never loses or doubles one."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, blobs: BlobStore) -> None:
        self.db, self.settings, self.clock, self.blobs = db, settings, clock, blobs

    async def handle_inbound(self, msg: InboundMessage) -> IntakeResult:
        """Record `msg` once; open a case, append it to its case, or queue it for review.

        A message whose (channel, external id) was seen before changes nothing and reports
        DUPLICATE with the original's case. Two deliveries racing on PostgreSQL (the same
        message twice, or two first messages of one new sender) meet at a unique key; the loser
        runs again and finds what the winner stored.
        """
        attempts = _CONFLICT_ATTEMPTS
        while True:
            attempts -= 1
            try:
                async with self.db.transaction() as session:
                    return await self.handle_inbound_in(session, msg)
            except IntegrityError:
                if attempts == 0:
                    raise

    async def handle_inbound_in(self, session: AsyncSession, msg: InboundMessage) -> IntakeResult:
        """`handle_inbound` inside the caller's transaction, so an adapter can commit its own
        records (e.g. the IMAP location of an email) atomically with the case."""
        msg = _with_clean_names(msg)
        now = self.clock.now()
        existing = await _find_message(session, msg.channel, msg.external_id)
        if existing is not None:
            case = await session.get(Case, existing.case_id) if existing.case_id else None
            return IntakeResult(
                Disposition.DUPLICATE,
                existing.id,
                case.reference if case else None,  # type: ignore[arg-type]
            )
        rules = await load_rules(session, self.settings)
        requester = await find_or_create_requester(
            session,
            CONTACT_KIND_OF_CHANNEL.get(msg.channel, ContactKind.PHONE),
            msg.sender,
            name=msg.sender_name,
            language=msg.language,
        )
        case, disposition = await self._target_case(session, msg, requester, rules, now)
        message = Message(
            case_id=case.id if case else None,
            direction=Direction.INBOUND.value,
            channel=msg.channel.value,
            external_id=msg.external_id,
            sender=msg.sender,
            sender_name=msg.sender_name,
            subject=msg.subject,
            text=msg.text,
            in_reply_to=msg.in_reply_to,
            meta=dict(msg.meta),
            created_at=msg.received_at,
        )
        session.add(message)
        await session.flush()
        rejected = await self._store_attachments(session, msg, message, case)
        if case is None:
            return IntakeResult(
                Disposition.REVIEW,
                message.id,
                rejected_attachments=rejected,  # type: ignore[arg-type]
            )
        missing = tuple(await missing_fields(session, case))
        if disposition == Disposition.APPENDED:  # producers relay it to the case's officers
            await case_changed(session, case, "message_received", rules, now)
        if disposition == Disposition.NEW_CASE and msg.acknowledge:
            await self._acknowledge(session, msg, case, missing, rejected, now)
        return IntakeResult(
            disposition,
            message.id,  # type: ignore[arg-type]
            case.reference,
            case.due_date,
            missing,
            rejected,
        )

    async def _target_case(
        self,
        session: AsyncSession,
        msg: InboundMessage,
        requester: Requester,
        rules: Rules,
        now: dt.datetime,
    ) -> tuple[Case | None, Disposition]:
        requester_id = requester.id
        if msg.case_reference:
            case = (
                await session.exec(select(Case).where(Case.reference == msg.case_reference))
            ).first()
            if case is None or (case.requester_id != requester_id and not msg.trusted_thread):
                return None, Disposition.REVIEW
            await record_event(
                session,
                case_id=case.id,
                actor=requester_actor(requester_id),
                action="message_received",
                at=now,
                data={"channel": msg.channel.value},
            )
            awaiting_reply = case.status == ComplaintStatus.DONE or (
                case.status == ComplaintStatus.IN_PROCESS and case.followed_up_at is not None
            )
            if await rating_from_reply(
                session, case, msg.text, rules=rules, actor=requester_actor(requester_id), now=now
            ):
                return case, Disposition.APPENDED  # the rating asked for, not a new complaint
            if case.kind == CaseKind.COMPLAINT and awaiting_reply:
                # domain.md §4: a reply from the complainant reopens the case / stops auto-close.
                await complainant_replied(
                    session, case, rules=rules, actor=requester_actor(requester_id), now=now
                )
            return case, Disposition.APPENDED
        if msg.new_case_kind is None:
            return None, Disposition.REVIEW
        case = await open_case(
            session,
            kind=msg.new_case_kind,
            channel=msg.channel,
            requester=requester,
            received_at=msg.received_at,
            rules=rules,
            actor=requester_actor(requester_id),
            now=now,
            details=_initial_details(msg),
            language=msg.language,
            unit_id=msg.unit_id,
        )
        return case, Disposition.NEW_CASE

    async def _store_attachments(
        self, session: AsyncSession, msg: InboundMessage, message: Message, case: Case | None
    ) -> tuple[str, ...]:
        case_id = case.id if case else None
        kept = attach_files(
            session, self.blobs, msg.attachments, case_id=case_id, message_id=message.id
        )
        rejected = kept.rejected
        if rejected:
            message.meta = {**message.meta, "rejected_attachments": list(rejected)}
            session.add(message)
        return rejected

    async def _acknowledge(
        self,
        session: AsyncSession,
        msg: InboundMessage,
        case: Case,
        missing: tuple[str, ...],
        rejected: tuple[str, ...],
        now: dt.datetime,
    ) -> None:
        body = acknowledgement_text(case, missing, rejected, msg.language, self.settings)
        await enqueue(
            session,
            dedup_key=f"ack:{case.reference}",
            channel=msg.channel.value,
            recipient=msg.sender,
            purpose="acknowledgement",
            subject=t("ack.subject", msg.language, reference=case.reference),
            body=body,
            case_id=case.id,
            now=now,
            payload={"in_reply_to": msg.external_id},
        )
        if msg.channel == Channel.TELEGRAM:  # the channel whose sender delivers letters here
            await queue_intake_receipt(
                session, case, channel=msg.channel.value, recipient=msg.sender, now=now
            )


def acknowledgement_text(
    case: Case,
    missing: tuple[str, ...],
    rejected: tuple[str, ...],
    language: str,
    settings: Settings,
) -> str:
    """The proof-of-request message: reference, due date, and what is still missing."""
    parts = [
        t(
            f"ack.body.{case.kind}",
            language,
            reference=case.reference,
            due=format_date(case.due_date, language),
            body=settings.body_name,
        )
    ]
    if missing:
        lines = "\n".join(f"- {t(f'field.{name}', language)}" for name in missing)
        parts.append(t("ack.missing", language, fields=lines))
    if rejected:
        parts.append(rejected_attachments_note(rejected, language, settings))
    return "\n\n".join(parts)


def rejected_attachments_note(rejected: Sequence[str], language: str, settings: Settings) -> str:
    """The note naming attachments not kept because they are over ATTACHMENT_MAX_BYTES."""
    return t(
        "ack.attachments_rejected",
        language,
        files=", ".join(rejected),
        limit_mb=settings.attachment_max_bytes // (1024 * 1024),
    )


def _with_clean_names(msg: InboundMessage) -> InboundMessage:
    """The message with its sender's name and the name field it carries cleaned for display
    (no control, bidi-override or zero-width characters), whatever channel it came by."""
    fields = dict(msg.fields)
    if isinstance(fields.get("name"), str):
        name = clean_name(fields.pop("name"))
        if name is not None:
            fields["name"] = name
    return replace(msg, sender_name=clean_name(msg.sender_name), fields=fields)


def _initial_details(msg: InboundMessage) -> dict[str, Any]:
    details = dict(msg.fields)
    if msg.new_case_kind == CaseKind.COMPLAINT:
        details.setdefault("description", msg.text)
    elif msg.new_case_kind == CaseKind.INFORMATION_REQUEST and msg.text.strip():
        details.setdefault("information_requested", msg.text.strip())
    if msg.channel == Channel.EMAIL:
        details.setdefault("email", msg.sender)
    return details


async def _find_message(
    session: AsyncSession, channel: Channel, external_id: str
) -> Message | None:
    stmt = select(Message).where(
        Message.channel == channel.value, Message.external_id == external_id
    )
    return (await session.exec(stmt)).first()
