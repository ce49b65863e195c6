"""One email as the channel knows it: what was read from its bytes (`MailReading`, the value the
reader worker returns) and, for ingestion, where it lies and what its mailbox opens
(`IncomingMail`, the same reading with its location)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.cases.file_data import FileData
from channels.email.parse import DeliveryReport
from store.enums import CaseKind

# Message-IDs longer than this are keyed by their hash (the unique index has a length limit).
MAX_KEY_LENGTH = 255


class MailKind(StrEnum):
    """Who wrote an email: a person, or a machine answering (auto-reply, bounce, report)."""

    HUMAN = "human"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    REPORT = "report"


@dataclass(frozen=True)
class MailLocation:
    """Where an email sits on the IMAP server: mailbox name, UIDVALIDITY and UID."""

    mailbox: str
    uidvalidity: int
    uid: int


@dataclass(frozen=True)
class MailReading:
    """Everything intake needs from one mail, parsed and classified (plain, picklable values)."""

    kind: MailKind
    # The sender asked for no automatic answer (RFC 3834 §2: List-*, Precedence bulk/list/junk,
    # X-Auto-Response-Suppress): a case may open, but nothing is sent back automatically.
    no_reply: bool = False
    message_id: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    recipients: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    quoted: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[FileData, ...] = ()
    # Bounces: the addresses that failed, whether for good, why, and the Message-IDs reported.
    report: DeliveryReport = field(default_factory=DeliveryReport)
    # The parts of a mail that was read that could not be (its body, its structure ...).
    problems: tuple[str, ...] = ()
    # The SHA-256 of the raw bytes (hex), worked out by the reader in its own process.
    raw_digest: str | None = None

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, most specific first."""
        # Imported here: threading reads the store, which a reader process never loads.
        from channels.email.threads import thread_ids

        return thread_ids(self.in_reply_to, self.references)


@dataclass(frozen=True, kw_only=True)
class IncomingMail(MailReading):
    """One email ready for ingestion: its reading, where it lies, and what its mailbox opens."""

    location: MailLocation
    raw: bytes = field(repr=False)
    received_at: dt.datetime
    new_case_kind: CaseKind
    unit_id: int | None = None
    # Issue #9: why the mail could not be read at all (the worker ran out of time or memory,
    # died, or the mail failed MAIL_MAX_ATTEMPTS times): only the salvaged sender, subject and
    # Message-ID are set, and the mail is kept raw for review.
    quarantine: str | None = None

    @classmethod
    def of(cls, reading: MailReading, **where: Any) -> IncomingMail:
        """`reading` with its location, bytes, receipt time and mailbox's kind and unit."""
        read = {f.name: getattr(reading, f.name) for f in dataclasses.fields(MailReading)}
        return cls(**read, **where)

    @functools.cached_property
    def raw_sha256(self) -> str:
        """The SHA-256 of the raw bytes (the reader's, when it worked it out)."""
        return self.raw_digest or hashlib.sha256(self.raw).hexdigest()

    @property
    def key(self) -> str:
        """The idempotency key: the Message-ID, or a hash of the bytes when there is none."""
        if not self.message_id:
            return f"sha256:{self.raw_sha256}"
        if len(self.message_id) > MAX_KEY_LENGTH:
            return f"mid-sha256:{hashlib.sha256(self.message_id.encode()).hexdigest()}"
        return self.message_id
