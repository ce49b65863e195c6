"""The records of ingested mail: finding a mail's record, noting it seen again, and the index
of a batch's records (two queries for the whole batch instead of two for every mail).

A mail's record is the one at its IMAP location (mailbox, UIDVALIDITY, UID) or, failing that,
the one with its key (Message-ID or content hash) in its mailbox. Inside a batch
(channels/email/batch.py) the records of every mail of the batch are loaded at once and the
index learns each record the batch writes once that mail's savepoint is released; after any
mail of the batch failed, the index is no longer trusted and every lookup asks the database, as
does a lookup that runs again after a conflict (another poller may have written it meanwhile).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.email.message import IncomingMail, MailLocation
from store.models import Case, MailAttempt, MailRecord

# Keys per IN (...) list of one query.
IN_CHUNK = 500


class MailDisposition(StrEnum):
    """The state of a mail's record: what became of it, and of a review item an officer
    resolved (bot.intake.door's dispositions for mail a person wrote; IGNORED for what is only
    recorded: machine-written mail, copies of our own, a mail intake had already)."""

    NEW_CASE = "new_case"
    APPENDED = "appended"
    REVIEW = "review"
    IGNORED = "ignored"


@dataclass(frozen=True)
class IngestOutcome:
    """What became of one email's record; `duplicate` when it had been recorded before."""

    disposition: MailDisposition
    classification: str
    reason: str | None = None
    case_reference: str | None = None
    duplicate: bool = False


def outcome_of(record: MailRecord, case_reference: str | None) -> IngestOutcome:
    """The outcome a record stands for, its case's reference given."""
    return IngestOutcome(
        MailDisposition(record.disposition), record.classification, record.reason, case_reference
    )


async def outcome(session: AsyncSession, record: MailRecord) -> IngestOutcome:
    """The outcome a record stands for, its case's reference looked up."""
    case = await session.get(Case, record.case_id) if record.case_id else None
    return outcome_of(record, case.reference if case else None)


async def _at(session: AsyncSession, location: MailLocation) -> MailRecord | None:
    stmt = select(MailRecord).where(
        MailRecord.mailbox == location.mailbox,
        MailRecord.uidvalidity == location.uidvalidity,
        MailRecord.uid == location.uid,
    )
    return (await session.exec(stmt)).first()


async def recorded(session: AsyncSession, mail: IncomingMail) -> MailRecord | None:
    """The record of this mail: at its location, or by its key in its mailbox."""
    if found := await _at(session, mail.location):
        return found
    stmt = select(MailRecord).where(
        MailRecord.mailbox == mail.location.mailbox, MailRecord.message_key == mail.key
    )
    return (await session.exec(stmt)).first()


async def seen_again(
    session: AsyncSession, record: MailRecord, mail: IncomingMail
) -> IngestOutcome:
    """An email recorded before: after a UIDVALIDITY change, note where it lives now."""
    if record.uidvalidity != mail.location.uidvalidity:
        record.uidvalidity, record.uid = mail.location.uidvalidity, mail.location.uid
        session.add(record)
    return dataclasses.replace(await outcome(session, record), duplicate=True)


def attempt_at(location: MailLocation) -> tuple[Any, ...]:
    """The WHERE clause of the tries at one location."""
    return (
        MailAttempt.mailbox == location.mailbox,
        MailAttempt.uidvalidity == location.uidvalidity,
        MailAttempt.uid == location.uid,
    )


async def forget_attempts(session: AsyncSession, locations: Sequence[MailLocation]) -> None:
    """Delete the tries at `locations` (the mails recorded), a statement per mailbox."""
    by_box: dict[tuple[str, int], list[int]] = {}
    for loc in locations:
        by_box.setdefault((loc.mailbox, loc.uidvalidity), []).append(loc.uid)
    for (mailbox, uidvalidity), uids in by_box.items():
        for start in range(0, len(uids), IN_CHUNK):
            await session.exec(
                delete(MailAttempt).where(
                    col(MailAttempt.mailbox) == mailbox,
                    col(MailAttempt.uidvalidity) == uidvalidity,
                    col(MailAttempt.uid).in_(uids[start : start + IN_CHUNK]),
                )
            )


class RecordIndex:
    """The records a batch's mails may have, by location and by key (see the docstring)."""

    def __init__(self) -> None:
        self._by_location: dict[tuple[str, int, int], MailRecord] = {}
        self._by_key: dict[tuple[str, str], MailRecord] = {}
        self._loaded: set[tuple[str, int, int, str]] = set()
        self.trusted = True

    def covers(self, mail: IncomingMail) -> bool:
        """Whether `find` answers for `mail`: its records were loaded and no mail failed since."""
        return self.trusted and _covered(mail) in self._loaded

    def learn(self, record: MailRecord) -> None:
        """Know `record` (loaded, or written by a mail of the batch whose savepoint held)."""
        self._by_location[(record.mailbox, record.uidvalidity, record.uid)] = record
        self._by_key[(record.mailbox, record.message_key)] = record

    def find(self, mail: IncomingMail) -> MailRecord | None:
        """The record of `mail` as `recorded` would find it (only while `trusted`)."""
        loc = mail.location
        found = self._by_location.get((loc.mailbox, loc.uidvalidity, loc.uid))
        return found or self._by_key.get((loc.mailbox, mail.key))

    async def load(self, session: AsyncSession, mails: Sequence[IncomingMail]) -> None:
        """Load the records at the mails' locations and with their keys."""
        self._loaded.update(_covered(mail) for mail in mails)
        lookups = ((_location_key, MailRecord.uid), (_message_key, MailRecord.message_key))
        for key_of, column in lookups:
            groups: dict[tuple[Any, ...], list[Any]] = {}
            for mail in mails:
                group, value = key_of(mail)
                groups.setdefault(group, []).append(value)
            for group, values in groups.items():
                for start in range(0, len(values), IN_CHUNK):
                    stmt = select(MailRecord).where(
                        *_group_filter(group), col(column).in_(values[start : start + IN_CHUNK])
                    )
                    for record in (await session.exec(stmt)).all():
                        self.learn(record)


def _covered(mail: IncomingMail) -> tuple[str, int, int, str]:
    loc = mail.location
    return loc.mailbox, loc.uidvalidity, loc.uid, mail.key


def _location_key(mail: IncomingMail) -> tuple[tuple[Any, ...], Any]:
    return (mail.location.mailbox, mail.location.uidvalidity), mail.location.uid


def _message_key(mail: IncomingMail) -> tuple[tuple[Any, ...], Any]:
    return (mail.location.mailbox,), mail.key


def _group_filter(group: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(group) == 2:
        return (MailRecord.mailbox == group[0], MailRecord.uidvalidity == group[1])
    return (MailRecord.mailbox == group[0],)
