"""Conversations in progress on channels that keep no state of their own (WhatsApp): one row
per (channel, address), with the language, the flow, its step and the answers so far."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, json_column, utcnow


class ConversationDraft(QuickInit, SQLModel, table=True):
    """One person's guided conversation on one channel, kept in the store (not in memory) so
    a restart mid-form continues where they left off."""

    __tablename__ = "conversation_drafts"
    __table_args__ = (UniqueConstraint("channel", "address", name="uq_conversation_draft_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    language: str = Field(default="id", max_length=8)
    flow: str | None = Field(default=None, max_length=32)
    step: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    updated_at: dt.datetime = Field(default_factory=utcnow, index=True)
    # The inbound item whose handling saved this state last: a re-run after a crash between
    # that save and the item being marked done sees its effect is already here.
    last_key: str | None = Field(default=None, max_length=128)
