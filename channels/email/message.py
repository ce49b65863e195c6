"""An email as the core sees it: fetched, parsed and classified by the email channel."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from bot.intake.door import InboundAttachment
from channels.email.threads import thread_ids
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
class IncomingMail:
    """One email ready for ingestion; built by the channel from the raw bytes alone."""

    location: MailLocation
    raw: bytes = field(repr=False)
    kind: MailKind
    received_at: dt.datetime
    new_case_kind: CaseKind
    message_id: str | None = None
    sender: str | None = None
    sender_name: str | None = None
    recipients: tuple[str, ...] = ()
    subject: str = ""
    text: str = ""
    quoted: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    attachments: tuple[InboundAttachment, ...] = ()
    # The sender asked for no automatic answer (RFC 3834 §2: List-*, Precedence bulk/list/junk,
    # X-Auto-Response-Suppress): a case may open, but nothing is sent back automatically.
    no_reply: bool = False
    # Bounces: the addresses that failed, whether for good, why, and the Message-IDs reported.
    failed_recipients: tuple[str, ...] = ()
    bounce_permanent: bool = False
    bounce_reason: str = ""
    reported_message_ids: tuple[str, ...] = ()
    unit_id: int | None = None
    # Issue #9: why the mail could not be read at all (the worker ran out of time or memory,
    # died, or the mail failed MAIL_MAX_ATTEMPTS times): only the salvaged sender, subject and
    # Message-ID are set, and the mail is kept raw for review. `problems` names the parts of a
    # mail that was read that could not be (its body, its structure ...).
    quarantine: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this mail answers, most specific first."""
        return thread_ids(self.in_reply_to, self.references)

    @property
    def raw_sha256(self) -> str:
        """The SHA-256 of the raw bytes."""
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def key(self) -> str:
        """The idempotency key: the Message-ID, or a hash of the bytes when there is none."""
        if not self.message_id:
            return f"sha256:{self.raw_sha256}"
        if len(self.message_id) > MAX_KEY_LENGTH:
            return f"mid-sha256:{hashlib.sha256(self.message_id.encode()).hexdigest()}"
        return self.message_id
