"""Marking sent outbox rows, many in one transaction (group commit).

A send's row is marked `sent` right after its answer, and the send's delivery waits until the
mark is committed, exactly as with one transaction a row. Marks that arrive while a commit is
under way go together in the next one (one statement for all of them), so at 30 sends a second
the database does a few commits a second instead of thirty, and the event loop, which also
runs the sends, is not kept busy with them.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import bindparam, update

from store.db import Database
from store.enums import OutboxStatus
from store.models import OutboxMessage

_MARK = (
    update(OutboxMessage.__table__)  # type: ignore[attr-defined]
    .where(OutboxMessage.__table__.c.id == bindparam("row_id"))  # type: ignore[attr-defined]
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("at"),
        external_id=bindparam("eid"),
        last_error=None,
    )
)

Mark = tuple[int, str | None, dt.datetime]


class SentMarks:
    """Rows to mark sent, committed in groups; `mark` returns once its row's mark is in."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[Mark, asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None

    async def mark(self, row_id: int, external_id: str | None, sent_at: dt.datetime) -> None:
        """Mark the row sent; returns when that is committed (raises if the commit failed)."""
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(((row_id, external_id, sent_at), done))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_all())
        await asyncio.shield(done)  # a cancelled caller's row is marked all the same

    async def _commit_all(self) -> None:
        """Commit what waits, then what arrived meanwhile, until nothing waits."""
        while self._waiting:
            group, self._waiting = self._waiting, []
            params = [{"row_id": r, "eid": e, "at": at} for (r, e, at), _ in group]
            try:
                async with self.db.transaction() as session:
                    await (await session.connection()).execute(_MARK, params)
            except Exception as exc:
                for _, done in group:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for _, done in group:
                if not done.done():
                    done.set_result(None)
