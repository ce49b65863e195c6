"""Where a change to a case turns into outbound messages (outbox rows), in the same transaction.

Every state change (`apply_transition`) and every new case (`open_case`) calls
`case_changed`; each producer in PRODUCERS decides what to queue (requester updates, officer
cards, ...). Producers write outbox rows only; they never talk to a channel.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.letters.outbox import queue_receipt
from bot.notify.officer_cards import queue_officer_cards
from bot.notify.requester_updates import queue_requester_update
from bot.workflow.rules import Rules
from store.models import Case

Producer = Callable[[AsyncSession, Case, str, Rules, dt.datetime], Awaitable[None]]

# Each producer module adds itself here (explicit is better than import side effects).
PRODUCERS: tuple[Producer, ...] = (queue_requester_update, queue_officer_cards, queue_receipt)


async def case_changed(
    session: AsyncSession, case: Case, action: str, rules: Rules, now: dt.datetime
) -> None:
    """Let every producer queue what `action` on `case` calls for."""
    for produce in PRODUCERS:
        await produce(session, case, action, rules, now)
