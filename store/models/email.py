"""The email channel's tables: extra mailboxes and the record of every email taken from one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, utcnow


class MailMailbox(QuickInit, SQLModel, table=True):
    """An extra IMAP mailbox (the one in the environment needs no row).

    Each mailbox opens cases of one kind, optionally for one unit. Connection fields left NULL
    fall back to the IMAP_* settings; the password is never stored, only the name of the
    environment variable holding it.
    """

    __tablename__ = "mail_mailboxes"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    folder: str = Field(max_length=255)
    case_kind: str = Field(max_length=32)
    unit_id: int | None = Field(default=None, foreign_key="units.id")
    host: str | None = Field(default=None, max_length=255)
    port: int | None = None
    security: str | None = Field(default=None, max_length=16)
    username: str | None = Field(default=None, max_length=320)
    password_env: str | None = Field(default=None, max_length=64)
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow)


class MailRecord(QuickInit, SQLModel, table=True):
    """One email taken from a mailbox, written in the transaction that acted on it.

    The two unique keys make ingestion idempotent: the same message (Message-ID, or a hash of
    its bytes when it has none) is recorded once per mailbox, and so is each IMAP location.
    """

    __tablename__ = "mail_records"
    __table_args__ = (
        UniqueConstraint("mailbox", "message_key", name="uq_mail_mailbox_key"),
        UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mail_mailbox_uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=64)
    # RFC 3501: UIDVALIDITY and UID are unsigned 32-bit numbers, too big for a signed INTEGER.
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_key: str = Field(max_length=255)
    message_id_header: str | None = Field(default=None, max_length=512)
    raw_sha256: str = Field(max_length=64, index=True)
    raw_size: int
    raw_stored: bool = False
    classification: str = Field(max_length=16, index=True)
    disposition: str = Field(max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=64)
    sender: str | None = Field(default=None, max_length=320)
    subject: str | None = Field(default=None, sa_column=Column(Text))
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="messages.id")
    received_at: dt.datetime
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    resolved_at: dt.datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=128)


class MailAttempt(QuickInit, SQLModel, table=True):
    """How often processing of the email at one IMAP location was started without finishing.

    Written (committed) before the mail is read, deleted in the transaction that records it. A
    mail that killed or stalled every try (a crash, a bug, a worker that died) is quarantined
    after MAIL_MAX_ATTEMPTS tries instead of being fetched again forever (issue #9).
    """

    __tablename__ = "mail_attempts"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mail_attempt_uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=64)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    attempts: int = 0
    last_at: dt.datetime = Field(default_factory=utcnow)
