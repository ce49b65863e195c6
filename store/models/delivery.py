"""The outbox (every outbound message), the record of sent reminders, and the send-rate slots
shared by every worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Float, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, json_column, utcnow


class OutboxMessage(QuickInit, SQLModel, table=True):
    """One message to deliver, written in the same transaction as the change that causes it.

    `dedup_key` is unique, so the same logical message is queued at most once.
    """

    __tablename__ = "outbox"
    # One queue per recipient (scheduler/queue.py): its unsent rows, found by recipient.
    __table_args__ = (Index("ix_outbox_recipient_queue", "channel", "recipient", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(unique=True, max_length=255)
    channel: str = Field(max_length=16, index=True)
    recipient: str = Field(max_length=320)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    purpose: str = Field(max_length=64)
    subject: str | None = Field(default=None, sa_column=Column(Text))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    not_before: dt.datetime = Field(default_factory=utcnow, index=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    external_id: str | None = Field(default=None, max_length=512)
    created_at: dt.datetime = Field(default_factory=utcnow)
    sent_at: dt.datetime | None = None


class SentReminder(QuickInit, SQLModel, table=True):
    """A reminder that was queued once for (case, kind, anchor); the unique key stops doubles."""

    __tablename__ = "sent_reminders"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "anchor", name="uq_reminder_case_kind_anchor"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str = Field(max_length=64)
    anchor: dt.date
    sent_at: dt.datetime = Field(default_factory=utcnow)


class RateSlot(QuickInit, SQLModel, table=True):
    """One send-rate bucket of the installation (the bot, one chat, one group, the mail server):
    the next instant, in the database's epoch seconds, a send counted against it may start."""

    __tablename__ = "rate_slots"

    bucket: str = Field(primary_key=True, max_length=340)
    next_at: float = Field(default=0.0, sa_column=Column(Float, nullable=False))


class RateLease(QuickInit, SQLModel, table=True):
    """Who alone paces one channel-wide send-rate bucket (the bot) now, until when (the
    database's epoch seconds), who asked for it next, and what the last holder handed over:
    its recent sends and a whole-channel retry_after's end (scheduler/rate_slots.py)."""

    __tablename__ = "rate_leases"

    bucket: str = Field(primary_key=True, max_length=340)
    holder: str = Field(default="", max_length=64)
    expires_at: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    wanted_by: str = Field(default="", max_length=64)
    wanted_at: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    blocked_until: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
    history: str = Field(default="[]", sa_column=Column(Text, nullable=False))
