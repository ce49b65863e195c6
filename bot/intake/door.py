"""The one entry point for inbound messages from every channel.

An adapter turns its transport input into a frozen `InboundMessage` and calls
`Intake.handle_inbound`; the core stores it (idempotently, keyed by channel + external id),
opens a case or appends to one, and queues the channel's answer in the same transaction.

What intake offers every channel:
- files handed over already in the blob store (`store_files`), those too large named back;
- a reply from the case's requester that carries fields fills them in and completes the case
  (bot.intake.filling), answered as the channel words it (bot.intake.answers);
- a thread the adapter proved (`proven_case`: a signed reply address, a message id only we
  issue) lets any sender append to that case, but only its requester fill in details;
- the acknowledgement as the channel words it (`answers`), or the plain proof of request;
- the adapter's own record of the message (`record`: where its transport keeps it) written in
  the same transaction, so the two are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import StoredFile, attach_files
from bot.cases.audit import record_event, requester_actor
from bot.cases.opening import missing_fields, open_case_noting_missing
from bot.cases.together import write_now
from bot.clock import Clock
from bot.errors import DomainError
from bot.intake.answers import (
    Acknowledged,
    Answers,
    DetailsTaken,
    PlainAnswers,
    Reply,
    reply_row,
)
from bot.intake.filling import fill_in
from bot.intake.lookahead import Lookahead
from bot.intake.requesters import (
    count_contact_kinds,
    find_or_create_requester,
    normalise_contact,
)
from bot.intake.validation import clean_name
from bot.letters.outbox import intake_receipt_row
from bot.notify.case_events import case_changed
from bot.notify.outbox import queue_later
from bot.settings import Settings
from bot.workflow.complaint_rating import rating_from_reply
from bot.workflow.complaints import complainant_replied
from bot.workflow.rules import Rules, load_rules
from store.blobs import BlobStore
from store.db import Database
from store.enums import (
    CONTACT_OF_CHANNEL,
    LETTERS_APART_CHANNELS,
    CaseKind,
    Channel,
    ComplaintStatus,
    ContactKind,
    Direction,
)
from store.models import Case, Message, Requester

log = logging.getLogger(__name__)
_CONFLICT_ATTEMPTS = 3
# Why a message addressed to a case went to review instead (IntakeResult.reason).
DETAILS_NOT_FROM_REQUESTER = "details_not_from_contact"


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
    # Files already in the blob store (`store_files`), and the names of those not kept.
    attachments: tuple[StoredFile, ...] = ()
    rejected_attachments: tuple[str, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    new_case_kind: CaseKind | None = None
    case_reference: str | None = None
    language: str = "id"
    # Case details (a new case's, or those a reply fills in), and the values the adapter read
    # but could not accept (each a catalogue error, reported back in the answer).
    fields: Mapping[str, Any] = field(default_factory=dict)
    field_errors: tuple[DomainError, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    # The unit a new case goes to (e.g. the unit of the mailbox it arrived in).
    unit_id: int | None = None
    # The case the adapter proved this message answers, by something only Loket issues (a
    # signed reply address, one of our message ids): its sender may append to it without being
    # its requester (never fill in its details). Unproven, only the requester may append.
    proven_case: str | None = None


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
    # Why a message addressed to a case went to review (DETAILS_NOT_FROM_REQUESTER), if it did.
    reason: str | None = None
    # The id of the case of `case_reference` (for the adapter's record).
    case_id: int | None = None


# An adapter's own record of the message, written in intake's transaction (see the docstring).
ChannelRecord = Callable[[AsyncSession, IntakeResult], Awaitable[None]]


class Intake:
    """Stores inbound messages and turns them into cases; never loses or doubles one."""

    def __init__(self, db: Database, settings: Settings, clock: Clock, blobs: BlobStore) -> None:
        self.db, self.settings, self.clock, self.blobs = db, settings, clock, blobs
        self.plain_answers = PlainAnswers(settings, LETTERS_APART_CHANNELS)

    async def handle_inbound(
        self,
        msg: InboundMessage,
        *,
        answers: Answers | None = None,
        record: ChannelRecord | None = None,
        rules: Rules | None = None,
        lookahead: Lookahead | None = None,
    ) -> IntakeResult:
        """Record `msg` once; open a case, append it to its case, or queue it for review;
        answer as `answers` words it (else `PlainAnswers`); run `record` before committing.
        `rules`: those read in the caller's transaction (a batch of messages reads them once),
        else they are read here; `lookahead`: what was looked up for the caller's batch
        (bot.intake.lookahead), else each lookup is made here.

        A message whose (channel, external id) was seen before changes nothing and reports
        DUPLICATE with the original's case (`record` still runs, to recognise it too). Two
        deliveries racing on PostgreSQL (the same message twice, or two first messages of one
        new sender) meet at a unique key (intake's or the adapter's record's); the loser runs
        again, `record` included, and finds what the winner stored.
        """
        attempts = _CONFLICT_ATTEMPTS
        while True:
            attempts -= 1
            try:
                async with self.db.transaction() as session:
                    result = await self._handle(
                        session, msg, answers or self.plain_answers, rules, lookahead or Lookahead()
                    )
                    if record is not None:
                        await record(session, result)
                    return result
            except IntegrityError:
                if attempts == 0:
                    raise

    async def _handle(
        self,
        session: AsyncSession,
        msg: InboundMessage,
        answers: Answers,
        rules: Rules | None,
        lookahead: Lookahead,
    ) -> IntakeResult:
        msg = _with_clean_names(msg)
        now = self.clock.now()
        known, existing = lookahead.messages.take((msg.channel.value, msg.external_id))
        if not known:
            existing = await _find_message(session, msg.channel, msg.external_id)
        if existing is not None:
            case = await session.get(Case, existing.case_id) if existing.case_id else None
            return IntakeResult(
                Disposition.DUPLICATE,
                existing.id,
                case.reference if case else None,  # type: ignore[arg-type]
                case_id=case.id if case else None,
            )
        rules = rules or await load_rules(session, self.settings)
        kind = CONTACT_OF_CHANNEL.get(msg.channel, ContactKind.PHONE)
        count_contact_kinds(session)  # a new requester's case knows what it misses
        opens = msg.case_reference is None and msg.new_case_kind is not None
        requester = await find_or_create_requester(
            session,
            kind,
            msg.sender,
            name=msg.sender_name,
            language=msg.language,
            looked_up=lookahead.requesters.take((kind.value, normalise_contact(kind, msg.sender))),
            details=_initial_details(msg) if opens else None,  # a new one written once
        )
        case, disposition, reason, missing_at_opening = await self._target_case(
            session, msg, requester, rules, now
        )
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
        await write_now(session, message)
        rejected = self._attach_files(session, msg, message, case)
        if case is None:
            return IntakeResult(
                Disposition.REVIEW,
                message.id,  # type: ignore[arg-type]
                rejected_attachments=rejected,
                reason=reason,
            )
        if disposition == Disposition.APPENDED:  # producers relay it to the case's officers
            await case_changed(session, case, "message_received", rules, now)
            if case.requester_id == requester.id and (msg.fields or msg.field_errors or rejected):
                await self._take_details(session, msg, case, answers, rules, now)
        if missing_at_opening is not None:  # nothing since has filled in a field
            missing = tuple(missing_at_opening)
        else:
            missing = tuple(await missing_fields(session, case))
        if disposition == Disposition.NEW_CASE:
            facts = Acknowledged(case, msg.sender, msg.external_id, msg.language, now, missing,
                                 rejected, msg.field_errors)  # fmt: skip
            await self._queue(
                session, msg, case, await answers.acknowledgement(session, facts), now
            )
        return IntakeResult(
            disposition,
            message.id,  # type: ignore[arg-type]
            case.reference,
            case.due_date,
            missing,
            rejected,
            case_id=case.id,
        )

    async def _target_case(
        self,
        session: AsyncSession,
        msg: InboundMessage,
        requester: Requester,
        rules: Rules,
        now: dt.datetime,
    ) -> tuple[Case | None, Disposition, str | None, list[str] | None]:
        """The case the message goes to, what intake does with it, why (review), and the
        fields a case opened for it still misses (None for a case it did not open)."""
        requester_id = requester.id
        if msg.case_reference:
            case = (
                await session.exec(select(Case).where(Case.reference == msg.case_reference))
            ).first()
            if case is None:
                return None, Disposition.REVIEW, None, None
            if case.requester_id != requester_id:
                if msg.fields or msg.field_errors:
                    # Only the requester fills in their case; anyone else on a thread (the
                    # citizen forwarded our message) is for an officer to judge (issue #9).
                    return None, Disposition.REVIEW, DETAILS_NOT_FROM_REQUESTER, None
                if msg.proven_case != case.reference:
                    return None, Disposition.REVIEW, None, None
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
                # the rating asked for, not a complaint
                return case, Disposition.APPENDED, None, None
            if case.kind == CaseKind.COMPLAINT and awaiting_reply:
                # domain.md §4: a reply from the complainant reopens the case / stops auto-close.
                await complainant_replied(
                    session, case, rules=rules, actor=requester_actor(requester_id), now=now
                )
            return case, Disposition.APPENDED, None, None
        if msg.new_case_kind is None:
            return None, Disposition.REVIEW, None, None
        case, missing = await open_case_noting_missing(
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
        return case, Disposition.NEW_CASE, None, missing

    def _attach_files(
        self, session: AsyncSession, msg: InboundMessage, message: Message, case: Case | None
    ) -> tuple[str, ...]:
        """Put the message's stored files on it (and its case); note the refused ones."""
        attach_files(
            session,
            None,
            msg.attachments,
            case_id=case.id if case else None,
            message_id=message.id,
        )
        if msg.rejected_attachments:
            message.meta = {**message.meta, "rejected_attachments": list(msg.rejected_attachments)}
            session.add(message)
        return msg.rejected_attachments

    async def _take_details(
        self,
        session: AsyncSession,
        msg: InboundMessage,
        case: Case,
        answers: Answers,
        rules: Rules,
        now: dt.datetime,
    ) -> None:
        """Fill in the fields a reply from the case's requester carries, and answer it with
        what was kept, what waits for an officer, what was refused and what is missing."""
        changed, pending = await fill_in(
            session, case, msg.fields, channel=msg.channel.value, rules=rules, now=now
        )
        facts = DetailsTaken(
            case,
            msg.sender,
            msg.external_id,
            msg.language,
            now,
            changed=tuple(changed),
            pending=tuple(pending),
            field_errors=msg.field_errors,
            rejected_attachments=msg.rejected_attachments,
            missing=tuple(await missing_fields(session, case)),
            fields_sent=bool(msg.fields),
        )
        await self._queue(session, msg, case, await answers.details_taken(session, facts), now)

    async def _queue(
        self,
        session: AsyncSession,
        msg: InboundMessage,
        case: Case,
        reply: Reply | None,
        now: dt.datetime,
    ) -> None:
        """Queue the channel's answer (and the receipt PDF after it, when it asks for that)."""
        if reply is None:
            return
        recipient = reply.recipient or msg.sender
        # Written with the other rows of a batch taken together (bot.cases.together): no
        # answer is needed, the row is queued once per its dedup key either way.
        rows = [reply_row(reply, channel=msg.channel.value, recipient=recipient,
                          case_id=case.id, now=now)]  # fmt: skip
        if reply.receipt_apart:  # its PDF in a row of its own, after it (one INSERT for both)
            rows.append(intake_receipt_row(case, channel=msg.channel.value, recipient=recipient,
                                           now=now))  # fmt: skip
        await queue_later(session, rows)


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
    return details


async def _find_message(
    session: AsyncSession, channel: Channel, external_id: str
) -> Message | None:
    values = {"channel": channel.value, "external_id": external_id}
    return (await session.exec(_FIND_MESSAGE, params=values)).first()


# Built once: every message intake takes is looked up by it first.
_FIND_MESSAGE = select(Message).where(
    Message.channel == bindparam("channel"), Message.external_id == bindparam("external_id")
)
