"""The channel's own tables: conversation drafts and case message links.

Everything a conversation needs between two updates is here, in the store, so a restart
(or a second process after a crash) continues where the person left off.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, tuple_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from channels.telegram.writes import UPDATE_WRITES
from store.db import Database, conflict_insert
from store.models import (
    TelegramCaseMessage,
    TelegramDraft,
    TelegramPendingReply,
)

# The update being handled in this task (set by the receiver), written with every draft save.
HANDLING: ContextVar[int | None] = ContextVar("telegram_update_handling", default=None)


@dataclass
class Draft:
    """One person's conversation state in one chat (a plain copy of the stored row)."""

    chat_id: int
    user_id: int
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


_DRAFTS = TelegramDraft.__table__  # type: ignore[attr-defined]
# One statement for any number of people (an expanding IN of pairs), compiled once.
_READ_DRAFTS = sa_select(
    _DRAFTS.c.chat_id,
    _DRAFTS.c.user_id,
    _DRAFTS.c.language,
    _DRAFTS.c.flow,
    _DRAFTS.c.step,
    _DRAFTS.c.data,
).where(tuple_(_DRAFTS.c.chat_id, _DRAFTS.c.user_id).in_(bindparam("people", expanding=True)))


@functools.cache
def _draft_upsert(dialect_name: str, columns: tuple[str, ...]) -> Any:
    """The drafts' insert-or-replace of `columns`, built once per dialect and shape (it runs
    for nearly every handled update)."""
    table = TelegramDraft.__table__  # type: ignore[attr-defined]
    insert = conflict_insert(dialect_name, table)
    return insert.on_conflict_do_update(
        index_elements=["chat_id", "user_id"],
        set_={k: insert.excluded[k] for k in columns if k not in ("chat_id", "user_id")},
    )


class ChannelState:
    """Reads and writes of the channel's tables, each in its own short transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def forget_drafts(self, before: dt.datetime) -> None:
        """Forget conversations idle since `before`, and officers' replies never confirmed
        since then (both may hold personal data)."""
        async with self.db.transaction() as session:
            await session.exec(  # type: ignore[call-overload]
                delete(TelegramDraft).where(col(TelegramDraft.updated_at) < before)
            )
            await session.exec(  # type: ignore[call-overload]
                delete(TelegramPendingReply).where(col(TelegramPendingReply.created_at) < before)
            )

    async def applied(self, chat_id: int, user_id: int, update_id: int) -> bool:
        """True when this conversation was last saved while handling `update_id`: its effect is
        in the store already (the process died before the update was marked done)."""
        async with self.db.session() as session:
            stmt = select(TelegramDraft.id).where(
                TelegramDraft.chat_id == chat_id,
                TelegramDraft.user_id == user_id,
                TelegramDraft.last_update_id == update_id,
            )
            return (await session.exec(stmt)).first() is not None

    async def draft(self, chat_id: int, user_id: int, language: str) -> Draft:
        """The stored conversation, or a fresh one in `language` (while an update is handled,
        as read with its claim when it was: channels/telegram/writes.py, `known`)."""
        held = UPDATE_WRITES.get()
        if held is not None and (chat_id, user_id) in held.known:
            row = held.known[(chat_id, user_id)]
        else:
            async with self.db.session() as session:
                found = await self.read_drafts(session, [(chat_id, user_id)])
            row = found.get((chat_id, user_id))
        if row is None:
            return Draft(chat_id, user_id, language)
        return Draft(chat_id, user_id, row["language"], row["flow"], row["step"],
                     dict(row["data"] or {}))  # fmt: skip

    async def read_drafts(
        self, session: AsyncSession, people: list[tuple[int, int]]
    ) -> dict[tuple[int, int], dict[str, Any]]:
        """The stored drafts of these (chat id, user id) pairs, in `session`, in one SELECT
        (a pair without a draft is left out)."""
        if not people:
            return {}
        conn = await session.connection()
        rows = (await conn.execute(_READ_DRAFTS, {"people": sorted(set(people))})).mappings()

        return {(r["chat_id"], r["user_id"]): dict(r) for r in rows.all()}

    async def save(self, draft: Draft, now: dt.datetime) -> None:
        """Store the conversation (insert or replace); while an update is handled, committed
        with its answers and its `done` (channels/telegram/writes.py)."""
        values = {
            "chat_id": draft.chat_id,
            "user_id": draft.user_id,
            "language": draft.language,
            "flow": draft.flow,
            "step": draft.step,
            "data": draft.data,
            "updated_at": now,
            "last_update_id": HANDLING.get(),
        }
        held = UPDATE_WRITES.get()
        if held is not None:  # committed with the update's answers and its `done`
            held.drafts[(draft.chat_id, draft.user_id)] = values
            held.known.pop((draft.chat_id, draft.user_id), None)  # read again from the store
            return
        async with self.db.transaction() as session:
            await self.write_drafts(session, [values])

    async def write_drafts(self, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
        """Insert or replace the draft rows (values as `save` builds them) in `session`'s
        transaction, in one statement."""
        if not rows:
            return
        stmt = _draft_upsert(self.db.dialect, tuple(rows[0]))
        await (await session.connection()).execute(stmt, rows)

    async def link(self, chat_id: int, message_id: int, case_id: int, now: dt.datetime) -> None:
        """Remember that this chat message belongs to `case_id` (for reply routing)."""
        table = TelegramCaseMessage.__table__  # type: ignore[attr-defined]
        values = {"chat_id": chat_id, "message_id": message_id, "case_id": case_id}
        stmt = (
            conflict_insert(self.db.dialect, table)
            .values(**values, created_at=now)
            .on_conflict_do_nothing()
        )
        async with self.db.transaction() as session:
            await (await session.connection()).execute(stmt)

    async def case_of(self, chat_id: int, message_id: int) -> int | None:
        """The case a chat message belongs to, if it is linked to one."""
        async with self.db.session() as session:
            stmt = select(TelegramCaseMessage.case_id).where(
                TelegramCaseMessage.chat_id == chat_id,
                TelegramCaseMessage.message_id == message_id,
            )
            return (await session.exec(stmt)).first()

    async def hold_reply(
        self,
        chat_id: int,
        message_id: int,
        user_id: int,
        case_id: int,
        text: str,
        files: list[dict[str, Any]],
        now: dt.datetime,
    ) -> int:
        """Keep an officer's reply until they confirm it; the same chat message is held once.
        Returns the held reply's id."""
        table = TelegramPendingReply.__table__  # type: ignore[attr-defined]
        values = {
            "chat_id": chat_id,
            "message_id": message_id,
            "user_id": user_id,
            "case_id": case_id,
            "text": text,
            "files": files,
            "created_at": now,
        }
        stmt = conflict_insert(self.db.dialect, table).values(**values).on_conflict_do_nothing()
        async with self.db.transaction() as session:
            await (await session.connection()).execute(stmt)
            found = select(TelegramPendingReply.id).where(
                TelegramPendingReply.chat_id == chat_id,
                TelegramPendingReply.message_id == message_id,
            )
            held = (await session.exec(found)).one()
        assert held is not None
        return held

    async def held_reply(self, reply_id: int) -> TelegramPendingReply | None:
        """A reply waiting for its officer's confirmation (None once it was handled)."""
        async with self.db.session() as session:
            return await session.get(TelegramPendingReply, reply_id)

    async def drop_reply(self, reply_id: int) -> bool:
        """Forget a held reply; False if it was already gone (a second tap does nothing)."""
        async with self.db.transaction() as session:
            result = await session.exec(  # type: ignore[call-overload]
                delete(TelegramPendingReply).where(col(TelegramPendingReply.id) == reply_id)
            )
        return bool(result.rowcount)
