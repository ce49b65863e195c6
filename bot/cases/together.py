"""A transaction that takes many messages together (a channel's batch of them, one commit).

Nothing in such a transaction is rolled back alone (no savepoint: an error rolls the whole of
it back, and the caller runs its messages again one by one), so what it writes may be counted
in memory instead of read back: the reference numbers after each counter's first upsert
(bot.cases.references) and the contact kinds of the requesters it creates
(bot.intake.requesters), which is what a new case's missing fields are computed from.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.references import hold_references
from bot.intake.requesters import CONTACT_KINDS


@contextlib.asynccontextmanager
async def taken_together(session: AsyncSession) -> AsyncIterator[None]:
    """Let the block's work in `session` count in memory (see the module docstring); the
    counters are written back when it ends without error."""
    session.info[CONTACT_KINDS] = {}
    try:
        async with hold_references(session):
            yield
    finally:
        session.info.pop(CONTACT_KINDS, None)
