"""Crash-safe, idempotent ingestion of email through the one door (`Intake.handle_inbound`).

The record of an email (its IMAP location, Message-ID or content hash, classification and
disposition) is written in the same transaction that opens or updates the case and queues the
answer: intake runs the record as the adapter's `record`. The raw bytes and the attachments are
kept in the blob store first (content-addressed, so writing them twice is harmless). The
channel flags the message \\Seen (or moves it) only after that commit. So a crash at any point
either left nothing (the message is fetched again) or left the record (the next run only flags
the message): nothing is lost and nothing happens twice. The unique keys on (mailbox,
Message-ID) and (mailbox, UIDVALIDITY, UID) settle a race between two pollers the same way:
the loser's transaction is rolled back and, run again by intake, finds the winner's record.

Mail written by a person goes to intake; machine-written mail, copies of our own, mail without
a usable sender and mail that could not be read are only recorded (and acted on by the channel:
channels/email/automatic.py, the review queue).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.attachments import store_files
from bot.cases.together import write_later
from bot.clock import Clock
from bot.crash_points import crash_point
from bot.errors import DomainError
from bot.intake.door import Disposition, InboundMessage, Intake, IntakeResult
from bot.intake.lookahead import look_ahead
from bot.intake.validation import validate_email
from bot.settings import Settings
from bot.workflow.rules import Rules, load_rules
from channels.email.automatic import handle_automatic
from channels.email.batch import CURRENT, Batch, BatchBroken, RulesOfBatches, batch_of
from channels.email.forms import ParsedFields, parse_fields
from channels.email.message import IncomingMail, MailKind, MailLocation
from channels.email.records import (
    IN_CHUNK,
    IngestOutcome,
    MailDisposition,
    attempt_at,
    outcome_of,
    recorded,
    seen_again,
)
from channels.email.replies import MailAnswers, auto_replies_of
from channels.email.threads import (
    KnownThreads,
    ThreadMatch,
    ThreadRule,
    known_threads,
    resolve_thread,
)
from store.blobs import BlobStore, BlobTooLarge
from store.db import Database, conflict_insert
from store.enums import CaseKind, Channel
from store.models import MailAttempt, MailRecord

log = logging.getLogger(__name__)

# How much of the quoted part of a reply is kept with the message (the raw mail keeps all).
QUOTED_KEEP_CHARS = 20_000
# A try at a mail is counted once per location.
_ATTEMPT_KEY = ("mailbox", "uidvalidity", "uid")
# Threads that go to an officer instead of to a case.
_REVIEW_RULES = frozenset({ThreadRule.UNMATCHED_REPLY, ThreadRule.UNPROVEN_REPLY})
__all__ = ["IngestOutcome", "MailDisposition", "MailIngestor", "case_details", "usable_address"]


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


@dataclass(frozen=True)
class _Route:
    """Where a human mail goes, decided by its thread: the message for intake, and the reason
    its record will give (the thread rule, or why it went to review)."""

    inbound: InboundMessage
    reason: str | None


# What ingesting one mail did, and the record it wrote (None when it wrote none).
_Ingested = tuple[IngestOutcome, MailRecord | None]


class MailIngestor:
    """Turns fetched emails into cases, appended messages, review items or ignored records."""

    def __init__(
        self, db: Database, settings: Settings, clock: Clock, blobs: BlobStore, intake: Intake
    ) -> None:
        self.settings, self.clock = settings, clock
        self._db, self._blobs, self._intake = db, blobs, intake
        self.secret = settings.reply_secret.get_secret_value()
        self._rules_of_batches = RulesOfBatches(settings)

    @property
    def db(self) -> Database:
        """The database, or the batch's savepoints inside a batch (channels/email/batch.py)."""
        batch = CURRENT.get()
        return batch.db if batch else self._db

    @property
    def blobs(self) -> BlobStore:
        """The blob store, or the batch's (synced once, before its commit)."""
        batch = CURRENT.get()
        return batch.blobs if batch else self._blobs

    @property
    def intake(self) -> Intake:
        """The one door, working in the batch's transaction inside a batch."""
        batch = CURRENT.get()
        if batch is None:
            return self._intake
        door = copy.copy(self._intake)
        door.db, door.blobs = batch.db, batch.blobs
        return door

    async def last_uid(self, mailbox: str, uidvalidity: int) -> int:
        """The highest UID recorded in this mailbox under this UIDVALIDITY (0 if none: after a
        UIDVALIDITY change everything is looked at again and recognised by its key)."""
        async with self.db.session() as session:
            stmt = select(func.max(MailRecord.uid)).where(
                MailRecord.mailbox == mailbox, MailRecord.uidvalidity == uidvalidity
            )
            return int((await session.exec(stmt)).one() or 0)

    async def recorded_uids(self, mailbox: str, uidvalidity: int, uids: list[int]) -> set[int]:
        """Those of `uids` whose email in this mailbox and UIDVALIDITY was ingested already."""
        found: set[int] = set()
        async with self.db.session() as session:
            for start in range(0, len(uids), IN_CHUNK):
                stmt = select(MailRecord.uid).where(
                    MailRecord.mailbox == mailbox,
                    MailRecord.uidvalidity == uidvalidity,
                    col(MailRecord.uid).in_(uids[start : start + IN_CHUNK]),
                )
                found.update((await session.exec(stmt)).all())
        return found

    @contextlib.asynccontextmanager
    async def batch(
        self, mails: Sequence[IncomingMail] = (), *, apart: bool = True
    ) -> AsyncIterator[Batch]:
        """A block whose ingestions share one transaction and one fsync (batch.py), with the
        rules read once for all of them and the records of `mails` looked up at once; each
        mail in a savepoint of its own when `apart`, else none (`BatchBroken` at the first
        mail that fails: run the batch again apart)."""
        async with batch_of(self._db, self._blobs, apart=apart) as batch:
            session = batch.db.batch_session
            batch.rules = await self._rules_of_batches.read(session)
            await batch.records.load(session, mails)
            senders = [s for s in (usable_address(m.sender) for m in mails) if s is not None]
            keys = [m.key for m in mails]
            batch.lookahead = await look_ahead(session, Channel.EMAIL, keys, senders)
            batch.sent_today = await auto_replies_of(
                session, senders, self.clock.now(), self.settings
            )
            referred = [i for m in mails for i in (*m.report.message_ids, *m.thread_ids)]
            batch.threads = await known_threads(session, referred, keys)
            yield batch

    async def note_first_attempts(self, locations: list[MailLocation]) -> set[int]:
        """Count a first try at each email at `locations` (one mailbox and UIDVALIDITY) never
        tried before, committed before they are ingested, and return their UIDs: the others
        were tried before and never finished, and their try is counted by `note_attempts`
        just before each is taken alone (one statement: a try another poller counted
        meanwhile is never counted as a first)."""
        rows = await self._count_tries(
            locations,
            lambda stmt: stmt.on_conflict_do_nothing(index_elements=_ATTEMPT_KEY).returning(
                stmt.table.c.uid
            ),
        )
        return {uid for (uid,) in rows}

    async def note_attempts(self, locations: list[MailLocation]) -> list[int]:
        """Count one more try at each email at `locations` (all in one mailbox and UIDVALIDITY;
        committed before they are ingested) and return how many tries each has had, this one
        included (one statement: a count another poller made meanwhile is added to, never
        lost)."""
        rows = await self._count_tries(
            locations,
            lambda stmt: stmt.on_conflict_do_update(
                index_elements=_ATTEMPT_KEY,
                set_={"attempts": stmt.table.c.attempts + 1, "last_at": stmt.excluded.last_at},
            ).returning(stmt.table.c.uid, stmt.table.c.attempts),
        )
        tries = {uid: n for uid, n in rows}
        return [tries[loc.uid] for loc in locations]

    async def _count_tries(
        self, locations: list[MailLocation], on_conflict: Callable[[Any], Any]
    ) -> list[Any]:
        """Insert a first try at each of `locations`, `on_conflict` deciding what a try counted
        before becomes, in a transaction of its own; the rows the statement returns."""
        if not locations:
            return []
        table = MailAttempt.__table__  # type: ignore[attr-defined]
        now = self.clock.now()
        rows = [{"mailbox": loc.mailbox, "uidvalidity": loc.uidvalidity, "uid": loc.uid,
                 "attempts": 1, "last_at": now} for loc in locations]  # fmt: skip
        async with self.db.transaction() as session:
            connection = await session.connection()
            # Many rows given to one statement (SQLAlchemy's "insertmanyvalues": a multi-row
            # INSERT .. RETURNING sent in pages, its compiled form cached), not a VALUES list
            # built into the statement, which is compiled afresh for every batch.
            stmt = on_conflict(conflict_insert(connection.dialect.name, table))
            return list((await connection.execute(stmt, rows)).all())

    async def ingest(self, mail: IncomingMail) -> IngestOutcome:
        """Record `mail` once and act on it, all in one transaction; see the module docstring."""
        raw_stored = self._keep_raw(mail)
        batch = CURRENT.get()
        try:
            outcome, written = await self._ingest(mail, raw_stored)
        except BaseException as exc:
            if batch is not None:  # what its savepoint rolled back may be in the index
                batch.records.trusted = False
                if not batch.db.apart and isinstance(exc, Exception):
                    raise BatchBroken(type(exc).__name__) from exc
            raise
        if batch is not None:
            batch.db.check()  # an error caught within it broke a batch run together
        if batch is not None and written is not None:  # its savepoint is released
            batch.records.learn(written)
            batch.recorded.append(mail.location)
        return outcome

    async def _ingest(self, mail: IncomingMail, raw_stored: bool) -> _Ingested:
        if (again := await self._recorded_before(mail)) is not None:
            return again, None
        sender = usable_address(mail.sender)
        if (
            mail.kind == MailKind.HUMAN
            and sender is not None
            and not mail.quarantine
            and not _is_own(mail, self.settings)
        ):
            return await self._through_intake(mail, sender, raw_stored)
        return await self._record_only(mail, raw_stored)

    async def _recorded_before(self, mail: IncomingMail) -> IngestOutcome | None:
        """The outcome of a mail recorded before (noted seen again), else None; inside a batch
        whose index covers the mail, a new mail costs no statement."""
        batch = CURRENT.get()
        if batch is not None and batch.records.covers(mail) and batch.records.find(mail) is None:
            return None
        async with self.db.transaction() as session:
            existing = await self._lookup(session, mail)
            return None if existing is None else await seen_again(session, existing, mail)

    async def _lookup(
        self, session: AsyncSession, mail: IncomingMail, *, fresh: bool = False
    ) -> MailRecord | None:
        """The mail's record: from the batch's index when it covers the mail (unless `fresh`:
        asked again after a conflict), else from the database."""
        batch = CURRENT.get()
        if not fresh and batch is not None and batch.records.covers(mail):
            return batch.records.find(mail)
        return await recorded(session, mail)

    def _rules(self) -> Rules | None:
        """The batch's rules (read once in its transaction), None outside a batch."""
        batch = CURRENT.get()
        return batch.rules if batch else None

    def _threads(self) -> KnownThreads | None:
        """The batch's answers for its mails' Message-IDs, None outside a batch."""
        batch = CURRENT.get()
        return batch.threads if batch else None

    def _keep_raw(self, mail: IncomingMail) -> bool:
        try:
            self.blobs.put(mail.raw, sha256=mail.raw_sha256)
        except BlobTooLarge:
            return False
        return True

    def _record(self, mail: IncomingMail, raw_stored: bool) -> MailRecord:
        return MailRecord(
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
            created_at=self.clock.now(),
        )

    async def _commit(
        self,
        session: AsyncSession,
        record: MailRecord,
        mail: IncomingMail,
        case_reference: str | None,
    ) -> IngestOutcome:
        """Add the record, forget the tries at its location (a batch forgets those of all its
        recorded mails at its end), and report it (not yet committed)."""
        batch = CURRENT.get()
        if batch is None:
            await session.exec(delete(MailAttempt).where(*attempt_at(mail.location)))
        if batch is None or batch.db.apart:
            session.add(record)
            await session.flush()
        else:
            # Together, the records of the batch are written at once (bot.cases.together): a
            # conflict there breaks the batch (an error in a batch taken together is no mail's
            # alone), which is run again apart.
            write_later(session, record)
        outcome = outcome_of(record, case_reference)
        crash_point("mail_before_commit")
        return outcome

    async def _record_only(self, mail: IncomingMail, raw_stored: bool) -> _Ingested:
        """Record mail that is no message from a person (acting on machine-written mail)."""
        try:
            async with self.db.transaction() as session:
                existing = await self._lookup(session, mail)
                if existing is not None:
                    return await seen_again(session, existing, mail), None
                record, reference = self._record(mail, raw_stored), None
                if mail.quarantine:
                    # Kept raw with what could be salvaged; never read again (issue #9).
                    record.disposition = MailDisposition.REVIEW.value
                    record.reason = f"quarantined_{mail.quarantine}"[:64]
                elif _is_own(mail, self.settings):
                    record.reason = "own_address"
                elif mail.kind == MailKind.HUMAN:
                    record.disposition, record.reason = MailDisposition.REVIEW.value, "no_sender"
                else:
                    rules = self._rules() or await load_rules(session, self.settings)
                    case, record.reason = await handle_automatic(
                        session, mail, self.secret, rules, self.clock.now(), self._threads()
                    )
                    record.case_id = case.id if case else None
                    reference = case.reference if case else None
                return await self._commit(session, record, mail, reference), record
        except IntegrityError:
            # A concurrent poller recorded this very mail first: it is theirs to act on.
            async with self.db.transaction() as session:
                existing = await recorded(session, mail)
                if existing is None:
                    raise
                log.info("email %s was ingested concurrently", mail.location)
                return await seen_again(session, existing, mail), None

    async def _route(self, mail: IncomingMail, sender: str) -> _Route:
        """The intake message for a human email, routed by its thread (or to review)."""
        async with self.db.session() as session:
            match = await resolve_thread(
                session,
                sender=sender,
                recipients=mail.recipients,
                subject=mail.subject,
                message_ids=mail.thread_ids,
                secret=self.secret,
                known=self._threads(),
            )
        fields = parse_fields(mail.text)
        reason = None if match.rule == ThreadRule.NONE else match.rule.value
        review = match.rule in _REVIEW_RULES
        if mail.problems:
            # Part of the mail could not be read: a person looks at it before anything is
            # opened or answered (issue #9); what could be read is kept with it.
            review, reason = True, f"unreadable_{mail.problems[0]}"[:64]
        return _Route(_inbound(mail, sender, match, fields, review=review), reason)

    async def _through_intake(self, mail: IncomingMail, sender: str, raw_stored: bool) -> _Ingested:
        route = await self._route(mail, sender)
        files, rejected = store_files(self.blobs, mail.attachments)
        inbound = dataclasses.replace(
            route.inbound, attachments=files, rejected_attachments=rejected
        )
        batch = CURRENT.get()
        answers = MailAnswers(
            self.settings,
            in_reply_to=mail.message_id,
            no_reply=mail.no_reply,
            details_key=f"mail-details:{mail.location.mailbox}:{mail.key}",
            sent_today=batch.sent_today if batch else None,
        )
        outcomes: list[_Ingested] = []
        runs: list[None] = []

        async def record(session: AsyncSession, result: IntakeResult) -> None:
            """The mail's record, in intake's transaction (run again with it after a conflict:
            then the record is looked for in the database, another poller may have written it)."""
            runs.append(None)
            existing = await self._lookup(session, mail, fresh=len(runs) > 1)
            outcomes.clear()
            if existing is not None:
                outcomes.append((await seen_again(session, existing, mail), None))
                return
            stored = self._record(mail, raw_stored)
            stored.message_id = result.message_id
            stored.reason = _reason(route, result, answers)
            stored.disposition = (
                MailDisposition.IGNORED.value
                if result.disposition == Disposition.DUPLICATE
                else MailDisposition(result.disposition.value).value
            )
            stored.case_id = result.case_id
            outcome = await self._commit(session, stored, mail, result.case_reference)
            outcomes.append((outcome, stored))

        await self.intake.handle_inbound(
            inbound,
            answers=answers,
            record=record,
            rules=batch.rules if batch else None,
            lookahead=batch.lookahead if batch else None,
        )
        return outcomes[-1]


def _reason(route: _Route, result: IntakeResult, answers: MailAnswers) -> str | None:
    """The record's reason: the thread rule, why it went to review, or why it got no answer."""
    if result.disposition == Disposition.DUPLICATE:
        return "duplicate"
    if result.disposition == Disposition.NEW_CASE and answers.withheld:
        return answers.withheld
    return result.reason or route.reason


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
        "in_reply_to": (mail.in_reply_to or "")[:512] or None,
        "references": mail.references,
        "meta": {"mailbox": mail.location.mailbox, "quoted": mail.quoted[:QUOTED_KEEP_CHARS]},
    }
    if review:
        return InboundMessage(**common)  # neither a case to append to nor a new case
    if match.case is not None:
        return InboundMessage(
            **common,
            case_reference=match.case.reference,
            proven_case=match.case.reference if match.trusted else None,
            fields=fields.values,
            field_errors=fields.errors,
        )
    # No "email" detail for the sender's address: intake finds (or makes) the requester by it,
    # so it is their contact already.
    details = case_details(mail.new_case_kind, mail.subject, fields)
    return InboundMessage(
        **common,
        new_case_kind=mail.new_case_kind,
        unit_id=mail.unit_id,
        fields=details,
        field_errors=fields.errors,
    )


def _without_tag(address: str) -> str:
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _is_own(mail: IncomingMail, settings: Settings) -> bool:
    """Mail from our own address, tagged or not (a copy or a loop), is never acted on."""
    own = settings.mail_from
    return bool(own and mail.sender) and _without_tag(mail.sender or "") == _without_tag(own)
