"""Guided conversations kept in the store, for channels that keep no state of their own: the
language, the flow, its step and the answers so far, one per (channel, address).

Each save records the inbound item it handled (`key`), so an item handled again after a crash
(the inbox is at-least-once) is recognised by `applied` and not applied twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from store.db import Database, conflict_insert
from store.models import ConversationDraft


@dataclass
class Draft:
    """One person's conversation on one channel (a plain copy of the stored row)."""

    channel: str
    address: str
    language: str
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def start(self, flow: str, step: str | None, **data: Any) -> None:
        """Begin `flow` afresh at `step`; the token identifies this run (idempotent submit)."""
        self.flow, self.step, self.data = flow, step, {"token": uuid.uuid4().hex, **data}

    def clear(self) -> None:
        """Leave the current flow (the language is kept)."""
        self.flow, self.step, self.data = None, None, {}


class Drafts:
    """Reads and writes of `conversation_drafts`, each in its own short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self, channel: str, address: str, language: str) -> Draft:
        """The stored conversation, or a fresh one in `language`."""
        async with self.db.session() as session:
            row = (await session.exec(self._row(channel, address))).first()
        if row is None:
            return Draft(channel, address, language)
        return Draft(channel, address, row.language, row.flow, row.step, dict(row.data))

    async def stored(self, channel: str, address: str) -> bool:
        """True when this person has a conversation on record (e.g. a language chosen)."""
        async with self.db.session() as session:
            return (await session.exec(self._row(channel, address))).first() is not None

    async def applied(self, channel: str, address: str, key: str) -> bool:
        """True when the conversation was last saved while handling item `key`."""
        async with self.db.session() as session:
            stmt = select(ConversationDraft.id).where(
                ConversationDraft.channel == channel,
                ConversationDraft.address == address,
                ConversationDraft.last_key == key,
            )
            return (await session.exec(stmt)).first() is not None

    async def save(self, draft: Draft, now: dt.datetime, key: str | None) -> None:
        """Store the conversation (insert or replace), noting the item `key` it handled."""
        values = {
            "channel": draft.channel,
            "address": draft.address,
            "language": draft.language,
            "flow": draft.flow,
            "step": draft.step,
            "data": draft.data,
            "updated_at": now,
            "last_key": key,
        }
        table = ConversationDraft.__table__  # type: ignore[attr-defined]
        stmt = conflict_insert(self.db.dialect, table).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel", "address"],
            set_={k: v for k, v in values.items() if k not in ("channel", "address")},
        )
        async with self.db.transaction() as session:
            await (await session.connection()).execute(stmt)

    async def forget(self, before: dt.datetime) -> None:
        """Forget the answers of flows idle since `before` (they may hold personal data); the
        language a person chose is kept."""
        async with self.db.transaction() as session:
            await session.exec(  # type: ignore[call-overload]
                update(ConversationDraft)
                .where(col(ConversationDraft.updated_at) < before)
                .values(flow=None, step=None, data={})
            )

    @staticmethod
    def _row(channel: str, address: str) -> Any:
        return select(ConversationDraft).where(
            ConversationDraft.channel == channel, ConversationDraft.address == address
        )
