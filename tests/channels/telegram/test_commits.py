"""Handled updates committed in groups (channels/telegram/commits.py): updates finishing
together share one transaction; a unit that cannot be committed fails alone."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlmodel import select
from telegram import Bot

from bot.intake.inbox import Inbound, Inbox
from bot.services import Services
from channels.telegram.commits import UpdateCommits
from channels.telegram.sender import TelegramSender
from channels.telegram.state import ChannelState
from channels.telegram.writes import QueuedAnswer, UpdateWrites
from store.models import InboundUpdate, OutboxMessage, TelegramDraft
from tests.channels.telegram.test_round_trips import statements
from tests.support.telegram import TOKEN


def unit(chat: int, now: dt.datetime, language: str | None = "id") -> UpdateWrites:
    """What handling one update of `chat` holds: its draft and one answer."""
    writes = UpdateWrites()
    writes.drafts[(chat, chat)] = {"chat_id": chat, "user_id": chat, "language": language,
                                   "flow": None, "step": None, "data": {},
                                   "updated_at": now, "last_update_id": chat}  # fmt: skip
    writes.answers.append(QueuedAnswer(f"tg-reply:{chat}:1", chat, "halo", {"n": chat}))
    return writes


async def setting(services: Services) -> tuple[UpdateCommits, list[int]]:
    """The commits of a receiver, and two claimed updates (chats 1 and 2)."""
    inbox, state = Inbox(services.db), ChannelState(services.db)
    sender = TelegramSender(Bot(TOKEN), services, state)
    now = services.clock.now()
    await inbox.store([Inbound("telegram", str(c), f"chat:{c}", c, {}) for c in (1, 2)], now)
    held = await inbox.claim("telegram", now, counting=True)
    return UpdateCommits(services.db, inbox, state, sender, services.clock), [h.id for h in held]


async def states(services: Services) -> tuple[list[str], int, int]:
    """The inbox rows' states, and how many drafts and answers are stored."""
    async with services.db.session() as session:
        inbound = await session.exec(select(InboundUpdate.state).order_by(InboundUpdate.id))
        found = list(inbound.all())
        drafts = len((await session.exec(select(TelegramDraft))).all())
        answers = len((await session.exec(select(OutboxMessage))).all())
    return found, drafts, answers


async def test_updates_finishing_together_are_committed_in_one_transaction(
    services: Services,
) -> None:
    commits, ids = await setting(services)
    now = services.clock.now()
    first, second = unit(1, now), unit(2, now)
    with statements(services.db.engine) as seen:
        await asyncio.gather(commits.commit(first, ids[0]), commits.commit(second, ids[1]))
    assert len({tx for tx, sql in seen if not sql.startswith("BEGIN")}) == 1  # for both
    assert await states(services) == (["done", "done"], 2, 2)


async def test_a_unit_that_cannot_be_committed_does_not_hold_up_the_others(
    services: Services,
) -> None:
    commits, ids = await setting(services)
    now = services.clock.now()
    good, bad = unit(1, now), unit(2, now, language=None)  # no language: refused
    results = await asyncio.gather(
        commits.commit(good, ids[0]), commits.commit(bad, ids[1]), return_exceptions=True
    )
    assert results[0] is None and isinstance(results[1], Exception)
    assert await states(services) == (["done", "pending"], 1, 1)


async def test_nothing_held_and_no_done_is_no_transaction(services: Services) -> None:
    commits, _ = await setting(services)
    with statements(services.db.engine) as seen:
        await commits.commit(UpdateWrites())
    assert [sql for _, sql in seen if not sql.startswith("BEGIN")] == []


@pytest.mark.parametrize("chats", [3])
async def test_one_chats_answers_keep_their_order_in_a_group(
    services: Services, chats: int
) -> None:
    commits, ids = await setting(services)
    now = services.clock.now()
    writes = unit(1, now)
    writes.answers += [QueuedAnswer(f"tg-reply:1:{n}", 1, f"n{n}", {}) for n in range(2, chats + 1)]
    await asyncio.gather(commits.commit(writes, ids[0]), commits.commit(UpdateWrites(), ids[1]))
    async with services.db.session() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.dedup_key for r in rows] == [f"tg-reply:1:{n}" for n in range(1, chats + 1)]


async def test_the_drafts_of_many_people_are_read_at_once(services: Services) -> None:
    commits, ids = await setting(services)
    now = services.clock.now()
    await asyncio.gather(commits.commit(unit(1, now), ids[0]), commits.commit(unit(2, now)))
    state = ChannelState(services.db)
    async with services.db.session() as session:
        found = await state.read_drafts(session, [(1, 1), (2, 2), (3, 3), (1, 1)])
    assert sorted(found) == [(1, 1), (2, 2)] and found[(2, 2)]["language"] == "id"
