"""Raw inbound updates of the push/poll channels (Telegram now, WhatsApp webhooks later), stored
before the channel is told they arrived, and worked off from here (bot/intake/inbox.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, utcnow


class InboundUpdate(QuickInit, SQLModel, table=True):
    """One update as the channel sent it, keyed by the channel's own id, with its processing
    state: `pending` (to do, or to retry after `next_attempt_at`), `done`, or `dead` (failed
    `attempts` times; officers see it with `loket telegram dead-letters`).

    Updates of one `lane` (a chat) are handled in `position` order. The payload is dropped once
    the update is done: only the keys stay, so a re-delivery is still recognised.
    """

    __tablename__ = "inbound_updates"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbound_update_external"),
        # The same chat message under another update id counts as seen too (NULLs never clash).
        UniqueConstraint("channel", "message_key", name="uq_inbound_update_message"),
        Index("ix_inbound_updates_todo", "channel", "state", "lane", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    message_key: str | None = Field(default=None, max_length=128)
    lane: str = Field(max_length=64)
    position: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    state: str = Field(default="pending", max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    received_at: dt.datetime = Field(default_factory=utcnow)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    finished_at: dt.datetime | None = Field(default=None, index=True)
    # Which worker handles the update now, and until when its claim holds (it renews it while
    # the handler runs); an expired claim (a dead worker) is taken again by any worker.
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: dt.datetime | None = None
