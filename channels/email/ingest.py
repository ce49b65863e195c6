"""Crash-safe, idempotent ingestion of email.

The record of an email (its IMAP location, Message-ID or content hash, classification and
disposition) is written in the same transaction that opens or updates the case and queues the
answer; the raw bytes are kept in the blob store first (content-addressed, so writing them
twice is harmless). The channel flags the message \\Seen (or moves it) only after that commit.
So a crash at any point either left nothing (the message is fetched again) or left the record
(the next run only flags the message): nothing is lost and nothing happens twice. The unique
keys on (mailbox, Message-ID) and (mailbox, UIDVALIDITY, UID) settle a race between two
pollers the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event, requester_actor
from bot.cases.opening import missing_fields, update_details
from bot.clock import Clock
from bot.crash_points import crash_point
from bot.errors import DomainError
from bot.i18n import t
from bot.intake.door import Disposition, InboundMessage, Intake
from bot.intake.identity_changes import IDENTITY_CHANGE_EVENT, IDENTITY_FIELDS
from bot.intake.validation import validate_email
from bot.settings import Settings
from bot.workflow.rules import Rules, load_rules
from channels.email.automatic import handle_automatic
from channels.email.forms import (
    DETAILS_PURPOSE,
    ParsedFields,
    details_email,
    parse_fields,
    queue_acknowledgement,
    queue_auto_reply,
)
from channels.email.message import IncomingMail, MailKind, MailLocation
from channels.email.threads import ThreadMatch, ThreadRule, resolve_thread, sender_is_contact
from store.blobs import BlobStore, BlobTooLarge
from store.db import Database
from store.enums import CaseKind, Channel
from store.models import Case, MailAttempt, MailRecord, Requester

log = logging.getLogger(__name__)

# How much of the quoted part of a reply is kept with the message (the raw mail keeps all).
QUOTED_KEEP_CHARS = 20_000
# Tries of one ingestion that meets a unique key another poller took meanwhile.
CONFLICT_ATTEMPTS = 3
# Threads that go to an officer instead of to a case.
_REVIEW_RULES = frozenset({ThreadRule.UNMATCHED_REPLY, ThreadRule.UNPROVEN_REPLY})


class MailDisposition(StrEnum):
    """What ingestion did with an email."""

    NEW_CASE = "new_case"
    APPENDED = "appended"
    REVIEW = "review"
    IGNORED = "ignored"


_OF_INTAKE = {
    Disposition.NEW_CASE: MailDisposition.NEW_CASE,
    Disposition.APPENDED: MailDisposition.APPENDED,
    Disposition.REVIEW: MailDisposition.REVIEW,
    Disposition.DUPLICATE: MailDisposition.IGNORED,
}


@dataclass(frozen=True)
class IngestOutcome:
    """The result for one email; `duplicate` when it had been ingested before."""

    disposition: MailDisposition
    classification: str
    reason: str | None = None
    case_reference: str | None = None
    duplicate: bool = False


def case_details(kind: CaseKind, subject: str, fields: ParsedFields) -> dict[str, Any]:
    """The details a new case opens with: the "Field: value" lines, and the subject plus the
    remaining text as what is asked for (request) or complained about (complaint)."""
    details: dict[str, Any] = dict(fields.values)
    described = "\n\n".join(p for p in (subject.strip(), fields.rest.strip()) if p)
    key = "description" if kind == CaseKind.COMPLAINT else "information_requested"
    if described:
        details.setdefault(key, described)
    return details


def usable_address(address: str | None) -> str | None:
    """The address if mail can be sent to it (placeholders and `foo@bar` are not), else None."""
    try:
        return validate_email(address) if address else None
    except DomainError:
        return None


class MailIngestor:
    """Turns fetched emails into cases, appended messages, review items or ignored records."""

    def __init__(
        self, db: Database, settings: Settings, clock: Clock, blobs: BlobStore, intake: Intake
    ) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.blobs, self.intake = blobs, intake
        self.secret = settings.reply_secret.get_secret_value()

    async def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        """The highest UID recorded in this mailbox under this UIDVALIDITY (0 if none: after a
        UIDVALIDITY change everything is looked at again and recognised by its key)."""
        async with self.db.session() as session:
            stmt = select(func.max(MailRecord.uid)).where(
                MailRecord.mailbox == mailbox, MailRecord.uidvalidity == uidvalidity
            )
            return int((await session.exec(stmt)).one() or 0)

    async def is_recorded(self, location: MailLocation) -> bool:
        """True when the email at this IMAP location was ingested already."""
        async with self.db.session() as session:
            return await _at(session, location) is not None

    async def note_attempt(self, location: MailLocation) -> int:
        """Count one more try at the email at `location` (committed before it is read) and
        return how many tries there have been, this one included."""
        for _ in range(CONFLICT_ATTEMPTS):
            try:
                async with self.db.transaction() as session:
                    stmt = select(MailAttempt).where(*_attempt_at(location))
                    attempt = (await session.exec(stmt)).first() or MailAttempt(
                        mailbox=location.mailbox, uidvalidity=location.uidvalidity,
                        uid=location.uid,
                    )  # fmt: skip
                    attempt.attempts += 1
                    attempt.last_at = self.clock.now()
                    session.add(attempt)
                    return attempt.attempts
            except IntegrityError:  # another poller counted the same mail first
                continue
        raise RuntimeError(f"could not count a try of {location}")

    async def ingest(self, mail: IncomingMail) -> IngestOutcome:
        """Record `mail` once and act on it, all in one transaction; see the module docstring."""
        raw_stored = self._keep_raw(mail.raw)
        attempt = 1
        while True:
            try:
                return await self._ingest_once(mail, raw_stored)
            except IntegrityError:
                # A concurrent poller won a unique key: on this very mail (then it is ours no
                # more to act on), or on a new sender's contact (then another try finds it).
                async with self.db.session() as session:
                    existing = await _at(session, mail.location) or await _by_key(session, mail)
                    if existing is not None:
                        log.info("email %s was ingested concurrently", mail.location)
                        return dataclasses.replace(
                            await _outcome(session, existing), duplicate=True
                        )
                if attempt == CONFLICT_ATTEMPTS:
                    raise
                attempt += 1

    async def _ingest_once(self, mail: IncomingMail, raw_stored: bool) -> IngestOutcome:
        async with self.db.transaction() as session:
            existing = await _at(session, mail.location) or await _by_key(session, mail)
            if existing is not None:
                return await _seen_again(session, existing, mail)
            now = self.clock.now()
            rules = await load_rules(session, self.settings)
            record = MailRecord(
                mailbox=mail.location.mailbox,
                uidvalidity=mail.location.uidvalidity,
                uid=mail.location.uid,
                message_key=mail.key,
                message_id_header=(mail.message_id or "")[:512] or None,
                raw_sha256=mail.raw_sha256,
                raw_size=len(mail.raw),
                raw_stored=raw_stored,
                classification=mail.kind.value,
                disposition=MailDisposition.IGNORED.value,
                sender=(mail.sender or "")[:320] or None,
                subject=mail.subject,
                received_at=mail.received_at,
                created_at=now,
            )
            if mail.quarantine:
                # Kept raw with what could be salvaged; never read again (issue #9).
                record.disposition = MailDisposition.REVIEW.value
                record.reason = f"quarantined_{mail.quarantine}"[:64]
            elif _is_own(mail, self.settings):
                record.reason = "own_address"
            elif mail.kind == MailKind.HUMAN:
                await self._human(session, mail, record, rules, now)
            else:
                case, record.reason = await handle_automatic(session, mail, self.secret, rules, now)
                record.case_id = case.id if case else None
            session.add(record)
            await session.exec(delete(MailAttempt).where(*_attempt_at(mail.location)))
            await session.flush()
            outcome = await _outcome(session, record)
            crash_point("mail_before_commit")
        return outcome

    def _keep_raw(self, raw: bytes) -> bool:
        try:
            self.blobs.put(raw)
        except BlobTooLarge:
            return False
        return True

    async def _human(
        self,
        session: AsyncSession,
        mail: IncomingMail,
        record: MailRecord,
        rules: Rules,
        now: dt.datetime,
    ) -> None:
        sender = usable_address(mail.sender)
        if sender is None:
            record.disposition, record.reason = MailDisposition.REVIEW.value, "no_sender"
            return
        match = await resolve_thread(
            session,
            sender=sender,
            recipients=mail.recipients,
            subject=mail.subject,
            message_ids=mail.thread_ids,
            secret=self.secret,
        )
        fields = parse_fields(mail.text)
        contact = match.case is not None and await sender_is_contact(session, match.case, sender)
        review = match.rule in _REVIEW_RULES
        reason = None if match.rule == ThreadRule.NONE else match.rule.value
        if match.case is not None and not contact and (fields.values or fields.errors):
            # Only a contact already on the case may fill in its details; anyone else on the
            # thread (the citizen forwarded our mail) is for an officer to judge (issue #9).
            review, reason = True, "details_not_from_contact"
        if mail.problems:
            # Part of the mail could not be read: a person looks at it before anything is
            # opened or answered (issue #9); what could be read is kept with it.
            review, reason = True, f"unreadable_{mail.problems[0]}"[:64]
        inbound = _inbound(mail, sender, match, fields, review=review)
        result = await self.intake.handle_inbound_in(session, inbound)
        record.message_id = result.message_id
        record.disposition = _OF_INTAKE[result.disposition].value
        record.reason = reason
        if result.disposition == Disposition.DUPLICATE:
            record.reason = "duplicate"
        if result.case_reference is None:
            return
        case = (
            await session.exec(select(Case).where(Case.reference == result.case_reference))
        ).one()
        record.case_id = case.id
        if result.disposition == Disposition.NEW_CASE:
            if mail.no_reply:
                record.reason = "no_reply_requested"
            elif not await queue_acknowledgement(
                session,
                case=case,
                recipient=sender,
                in_reply_to=mail.message_id,
                rejected=result.rejected_attachments,
                errors=fields.errors,
                now=now,
                settings=self.settings,
            ):
                record.reason = "reply_capped"
        elif (
            result.disposition == Disposition.APPENDED
            and contact  # the answer names the case: it goes to a contact on it, never further
            and (fields.values or fields.errors or result.rejected_attachments)
        ):
            await self._take_details(
                session, mail, sender, case, fields, result.rejected_attachments, rules, now
            )

    async def _take_details(
        self,
        session: AsyncSession,
        mail: IncomingMail,
        sender: str,
        case: Case,
        fields: ParsedFields,
        rejected: tuple[str, ...],
        rules: Rules,
        now: dt.datetime,
    ) -> None:
        """Fill in the fields a reply carries and say what was kept, what was refused and what
        is still missing (the answer, like the acknowledgement, counts against the cap)."""
        changed, pending = await _fill_in(session, case, fields, rules, now)
        if mail.no_reply:
            return
        await queue_auto_reply(
            session,
            case=case,
            recipient=sender,
            purpose=DETAILS_PURPOSE,
            subject=t("mail.details_subject", "id", reference=case.reference),
            body=details_email(
                case,
                changed,
                fields.errors,
                rejected,
                await missing_fields(session, case),
                self.settings,
                pending=pending,
            ),
            in_reply_to=mail.message_id,
            dedup_key=f"mail-details:{mail.location.mailbox}:{mail.key}"[:255],
            now=now,
            settings=self.settings,
        )


def _inbound(
    mail: IncomingMail, sender: str, match: ThreadMatch, fields: ParsedFields, *, review: bool
) -> InboundMessage:
    """The intake message for a human email, routed by the thread match (or to review)."""
    common: dict[str, Any] = {
        "channel": Channel.EMAIL,
        "external_id": mail.key,
        "sender": sender,
        "sender_name": (mail.sender_name or "")[:255] or None,
        "subject": mail.subject,
        "text": mail.text,
        "received_at": mail.received_at,
        "attachments": mail.attachments,
        "in_reply_to": (mail.in_reply_to or "")[:512] or None,
        "references": mail.references,
        "acknowledge": False,
        "meta": {"mailbox": mail.location.mailbox, "quoted": mail.quoted[:QUOTED_KEEP_CHARS]},
    }
    if review:
        return InboundMessage(**common)  # neither a case to append to nor a new case
    if match.case is not None:
        return InboundMessage(
            **common, case_reference=match.case.reference, trusted_thread=match.trusted
        )
    return InboundMessage(
        **common,
        new_case_kind=mail.new_case_kind,
        unit_id=mail.unit_id,
        fields=case_details(mail.new_case_kind, mail.subject, fields),
    )


async def _identity_changes(
    session: AsyncSession, case: Case, values: dict[str, str]
) -> dict[str, str]:
    """The identity fields in `values` that would replace a value the requester already has."""
    requester = await session.get(Requester, case.requester_id) if case.requester_id else None
    if requester is None:
        return {}
    changes = {}
    for key in IDENTITY_FIELDS:
        current, wanted = getattr(requester, key), values.get(key)
        if wanted and current and " ".join(str(current).split()) != " ".join(wanted.split()):
            changes[key] = wanted
    return changes


async def _fill_in(
    session: AsyncSession, case: Case, fields: ParsedFields, rules: Rules, now: dt.datetime
) -> tuple[list[str], list[str]]:
    """Apply the fields a reply (from a contact on the case) filled in; return the fields set
    and the identity fields kept for an officer to confirm. A case that no longer takes
    details keeps as it was.

    Filling in an identity field that is still empty is what our acknowledgement asked for; a
    change of a name, NIK or SK number already on record is recorded as a pending change (an
    event officers see on the case) and never applied by email (issue #9)."""
    if not fields.values:
        return [], []
    pending = await _identity_changes(session, case, fields.values)
    values = {k: v for k, v in fields.values.items() if k not in pending}
    actor = requester_actor(case.requester_id)
    if pending:
        await record_event(
            session,
            case_id=case.id,
            actor=actor,
            action=IDENTITY_CHANGE_EVENT,
            at=now,
            data={"fields": pending, "channel": Channel.EMAIL.value},
        )
    if not values:
        return [], sorted(pending)
    try:
        async with session.begin_nested():
            changed = await update_details(session, case, values, rules=rules, actor=actor, now=now)
    except DomainError as exc:
        log.info("details for %s not applied: %s", case.reference, exc.key)
        changed = []
    return changed, sorted(pending)


def _without_tag(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _is_own(mail: IncomingMail, settings: Settings) -> bool:
    """Mail from our own address, tagged or not (a copy or a loop), is never acted on."""
    own = settings.mail_from
    return bool(own and mail.sender) and _without_tag(mail.sender or "") == _without_tag(own)


def _attempt_at(location: MailLocation) -> tuple[Any, ...]:
    return (
        MailAttempt.mailbox == location.mailbox,
        MailAttempt.uidvalidity == location.uidvalidity,
        MailAttempt.uid == location.uid,
    )


async def _at(session: AsyncSession, location: MailLocation) -> MailRecord | None:
    stmt = select(MailRecord).where(
        MailRecord.mailbox == location.mailbox,
        MailRecord.uidvalidity == location.uidvalidity,
        MailRecord.uid == location.uid,
    )
    return (await session.exec(stmt)).first()


async def _by_key(session: AsyncSession, mail: IncomingMail) -> MailRecord | None:
    stmt = select(MailRecord).where(
        MailRecord.mailbox == mail.location.mailbox, MailRecord.message_key == mail.key
    )
    return (await session.exec(stmt)).first()


async def _seen_again(
    session: AsyncSession, record: MailRecord, mail: IncomingMail
) -> IngestOutcome:
    """An email recorded before: after a UIDVALIDITY change, note where it lives now."""
    if record.uidvalidity != mail.location.uidvalidity:
        record.uidvalidity, record.uid = mail.location.uidvalidity, mail.location.uid
        session.add(record)
    return dataclasses.replace(await _outcome(session, record), duplicate=True)


async def _outcome(session: AsyncSession, record: MailRecord) -> IngestOutcome:
    case = await session.get(Case, record.case_id) if record.case_id else None
    return IngestOutcome(
        MailDisposition(record.disposition),
        record.classification,
        record.reason,
        case.reference if case else None,
    )
