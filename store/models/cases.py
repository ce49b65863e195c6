"""Cases and everything recorded on them: messages, attachments and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, json_column, utcnow


class Case(QuickInit, SQLModel, table=True):
    """One information request, complaint or objection, whatever channel it came by.

    One wide table keeps the annual report a handful of SQL aggregations; columns that do not
    apply to a kind stay NULL.
    """

    __tablename__ = "cases"
    __table_args__ = (
        # The reports read these indexes alone (covering: no table row is read), in the order
        # they group by; bot/workflow/report_columns.py stamps the columns.
        Index(
            "ix_cases_annual",
            "kind",
            "received_year",
            "received_month",
            "channel",
            "decision",
            "refusal_ground",
            "working_days_taken",
            "decided_on",
            "due_date",
            "extended_at",
        ),
        Index(
            "ix_cases_recap",
            "kind",
            "received_on",
            "unit_id",
            "status",
            "rating",
            "working_days_taken",
        ),
        Index("ix_cases_kind_received_year_unit", "kind", "received_year", "unit_id"),
        # The scheduler's sweep selects on these (bot/workflow/sweep_columns.py stamps them).
        Index("ix_cases_sweep_due", "kind", "status", "due_date"),
        Index("ix_cases_sweep_followup_from", "followup_from_on"),
        Index("ix_cases_sweep_progress_next", "progress_next_on"),
        Index("ix_cases_sweep_closed_at", "closed_at"),
        Index("ix_cases_sweep_next_reminder", "kind", "status", "reminder_next_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    reference: str = Field(unique=True, max_length=64)
    status: str = Field(max_length=32, index=True)
    channel: str = Field(max_length=16, index=True)
    requester_id: int | None = Field(default=None, foreign_key="requesters.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    assigned_officer_id: int | None = Field(default=None, foreign_key="officers.id")
    parent_case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    language: str = Field(default="id", max_length=8)

    # time: instants are UTC; dates are local calendar dates in the body's time zone
    received_at: dt.datetime = Field(index=True)
    completed_at: dt.datetime | None = None
    due_date: dt.date | None = Field(default=None, index=True)
    closed_at: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)

    # report columns: derived from the fields above whenever the case is written (local dates
    # in the body's time zone; working days of the measured step: bot/workflow/report_columns)
    received_on: dt.date | None = None
    received_year: int | None = None
    received_month: int | None = None
    decided_on: dt.date | None = None
    working_days_taken: int | None = None

    # sweep columns: what the reminder queries select on, stamped when the case is written
    # (bot/workflow/sweep_columns.py): the local date a complaint's follow-up clock runs from,
    # the next day a weekly progress update falls due, and the next day a reminder job must look
    # at the case (both advanced by the scheduler)
    followup_from_on: dt.date | None = None
    progress_next_on: dt.date | None = None
    reminder_next_on: dt.date | None = None

    # information request fields (domain.md §2)
    information_requested: str | None = Field(default=None, sa_column=Column(Text))
    purpose: str | None = Field(default=None, sa_column=Column(Text))
    obtain_method: str | None = Field(default=None, max_length=32)
    delivery_method: str | None = Field(default=None, max_length=32)
    acting_for: str | None = Field(default=None, max_length=255)
    extended_at: dt.datetime | None = None
    extension_days: int | None = None
    extension_reason: str | None = Field(default=None, sa_column=Column(Text))
    decision: str | None = Field(default=None, max_length=32, index=True)
    decided_at: dt.datetime | None = None
    decision_note: str | None = Field(default=None, sa_column=Column(Text))
    redaction_note: str | None = Field(default=None, sa_column=Column(Text))
    refusal_ground: str | None = Field(default=None, max_length=1)
    consequence_test: str | None = Field(default=None, sa_column=Column(Text))
    holder_body: str | None = Field(default=None, max_length=255)
    available_on: dt.date | None = None
    information_form: str | None = Field(default=None, max_length=16)
    fee_amount: int = 0
    fee_paid: bool = False
    time_to_provide: str | None = Field(default=None, max_length=255)
    notice_sent_at: dt.datetime | None = None

    # complaint fields (domain.md §4)
    description: str | None = Field(default=None, sa_column=Column(Text))
    classification: str | None = Field(default=None, max_length=32)
    oversight: bool | None = None
    category: str | None = Field(default=None, max_length=128)
    location: str | None = Field(default=None, max_length=255)
    incident_date: dt.date | None = None
    anonymous: bool = False
    confidential: bool = False
    verified_at: dt.datetime | None = None
    disposed_at: dt.datetime | None = None
    followed_up_at: dt.datetime | None = None
    reopened_at: dt.datetime | None = None
    followup_text: str | None = Field(default=None, sa_column=Column(Text))
    forwarded_to: str | None = Field(default=None, max_length=255)
    held_from_status: str | None = Field(default=None, max_length=32)
    status_reason: str | None = Field(default=None, sa_column=Column(Text))
    rating: int | None = None
    rating_comment: str | None = Field(default=None, sa_column=Column(Text))
    rating_asked_at: dt.datetime | None = None
    rated_at: dt.datetime | None = None

    # objection fields (domain.md §3)
    objection_ground: str | None = Field(default=None, max_length=1)
    objection_reason: str | None = Field(default=None, sa_column=Column(Text))
    atasan_decision: str | None = Field(default=None, max_length=16)
    atasan_reasons: str | None = Field(default=None, sa_column=Column(Text))
    atasan_name: str | None = Field(default=None, max_length=255)
    atasan_position: str | None = Field(default=None, max_length=255)
    answered_at: dt.datetime | None = None
    requester_response: str | None = Field(default=None, sa_column=Column(Text))
    dispute_filed_at: dt.datetime | None = None
    dispute_outcome: str | None = Field(default=None, max_length=16)
    dispute_result: str | None = Field(default=None, sa_column=Column(Text))
    dispute_decided_at: dt.datetime | None = None
    court_filed_at: dt.datetime | None = None
    court_result: str | None = Field(default=None, sa_column=Column(Text))
    court_decided_at: dt.datetime | None = None


class Message(QuickInit, SQLModel, table=True):
    """A message in or out on any channel; `external_id` is unique per channel (idempotency)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_message_channel_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    direction: str = Field(max_length=4)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=512)
    sender: str | None = Field(default=None, max_length=320)
    sender_name: str | None = Field(default=None, max_length=255)
    officer_id: int | None = Field(default=None, foreign_key="officers.id")
    subject: str | None = Field(default=None, sa_column=Column(Text))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    in_reply_to: str | None = Field(default=None, max_length=512)
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)


class Attachment(QuickInit, SQLModel, table=True):
    """A file that came with a message; the bytes live content-addressed in the blob store."""

    __tablename__ = "attachments"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int | None = Field(default=None, foreign_key="messages.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int
    sha256: str = Field(max_length=64, index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class Event(QuickInit, SQLModel, table=True):
    """The audit log: every transition, change and reveal of personal data (who, when, what)."""

    __tablename__ = "events"
    # The complaint recap's officer table reads this index alone, in its query order (kind,
    # action, acted date; then the grouped actor and receipt date): bot/cases/audit.py stamps
    # the columns on every event, bot/workflow/event_columns.py set-wise.
    __table_args__ = (
        Index("ix_events_recap", "case_kind", "action", "acted_on", "actor", "case_received_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=128)
    action: str = Field(max_length=64, index=True)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    # Copied from the case and the body's calendar when the event is written (the recap's
    # officers' table groups on them): the case's kind and local receipt date, and the local
    # date of `at` (TIMEZONE). NULL for an event of no case (the case columns).
    case_kind: str | None = Field(default=None, max_length=32)
    case_received_on: dt.date | None = None
    acted_on: dt.date | None = None
