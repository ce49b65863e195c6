"""What handling one update writes to the store (the conversation's state and the answers),
held in memory while its handler runs and committed in one transaction with the inbox's
`done` (channels/telegram/receiver.py).

One commit per handled update instead of one per draft save and per answer: fewer turns of
the single writer (SQLite) and of the event loop for every update of a burst. And none of it
is committed without the rest: a process killed mid-handler leaves neither the new state nor
the answers, so the update is handled again whole (never "applied" with its answers lost).

Outside a handled update (no `UpdateWrites` set, e.g. an officer's action from another task)
a draft save or an answer is committed at once, as before.

A handler whose last step is the core's own transaction (a form's submit: intake opens the
case) ends the update there instead (`Turn.finishing`): what it holds, its answer and its
`done` go into that transaction (`finish_in`), so the case, its number's answer and the update's
end are one commit, one turn of the store's writer instead of two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class QueuedAnswer:
    """One answer of a handler: the outbox row's key, chat, text and payload."""

    dedup_key: str
    chat_id: int
    text: str
    payload: dict[str, Any]


@dataclass
class UpdateWrites:
    """The draft rows (by chat and user: the last save wins) and the answers, in order; and
    the drafts as stored when the update was claimed (`known`, None: no draft), read in the
    claim's transaction: a chat's drafts change only while one of its updates is handled,
    and its lane was free, so that is what a read at the handler's start would give."""

    drafts: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    answers: list[QueuedAnswer] = field(default_factory=list)
    known: dict[tuple[int, int], dict[str, Any] | None] = field(default_factory=dict)
    # How to write these rows with the update's `done` in another transaction (set by the
    # receiver: channels/telegram/commits.py), and whether that was committed (`finished`).
    finish_in: Finisher | None = None
    finished: bool = False

    def __bool__(self) -> bool:
        return bool(self.drafts or self.answers)

    def take(self) -> UpdateWrites:
        """Everything held so far, handed over once (this one is empty afterwards)."""
        taken = UpdateWrites(self.drafts, self.answers)
        self.drafts, self.answers = {}, []
        return taken

    def copy(self) -> UpdateWrites:
        """A copy to add to (what a transaction that may fail writes): this one unchanged."""
        return UpdateWrites(dict(self.drafts), list(self.answers), dict(self.known), self.finish_in)

    def ended_by(self, written: UpdateWrites) -> None:
        """`written` (a `copy` of these writes, added to) was committed with the update's
        `done`: nothing is held any more and the update is finished."""
        self.drafts, self.answers, self.finished = {}, [], True
        self.known = written.known


# Writes `writes` and marks the update done, in the session's transaction.
Finisher = Callable[[AsyncSession, "UpdateWrites"], Awaitable[None]]


# The writes of the update handled in this task (set by the receiver around its handlers).
UPDATE_WRITES: ContextVar[UpdateWrites | None] = ContextVar("telegram_update_writes", default=None)
