"""The Telegram channel's own state: conversations in progress and case message links (raw
updates are in store.models.inbound)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models._base import QuickInit, json_column, utcnow


class TelegramDraft(QuickInit, SQLModel, table=True):
    """One person's conversation with the bot in one chat: language, flow, step, answers.

    Kept in the store (not in memory or a pickle) so a restart mid-flow loses nothing; an
    officer's multi-step input (a reason, a decision) lives here too, keyed by the group chat.
    """

    __tablename__ = "telegram_drafts"
    __table_args__ = (UniqueConstraint("chat_id", "user_id", name="uq_telegram_draft_chat_user"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    language: str = Field(default="id", max_length=8)
    flow: str | None = Field(default=None, max_length=32)
    step: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # The update whose handling saved this state last: after a crash between that save and the
    # update being marked done, the re-run sees its effect is already here (not applied twice).
    last_update_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class TelegramCaseMessage(QuickInit, SQLModel, table=True):
    """A message in a chat that belongs to a case (a card, a relayed or an answered message),
    so that a Telegram reply to it can be routed to that case.
    """

    __tablename__ = "telegram_case_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_telegram_case_message"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int
    case_id: int = Field(foreign_key="cases.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class TelegramPendingReply(QuickInit, SQLModel, table=True):
    """An officer's reply to a case message, held until the officer confirms it goes to the
    citizen (issue 14: an internal remark made by reply must not leak).

    `files` lists the blob digests, names and types of the files attached to the reply.
    """

    __tablename__ = "telegram_pending_replies"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_telegram_pending_reply"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    case_id: int = Field(foreign_key="cases.id", index=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    files: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    created_at: dt.datetime = Field(default_factory=utcnow)
