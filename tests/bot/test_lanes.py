"""The lane worker (bot/intake/lanes.py): each lane in stored order, lanes side by side up to
the concurrency, a stuck lane holding up only itself."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.intake.inbox import Held, Inbound, Inbox
from bot.intake.lanes import LaneWorker
from bot.services import Services
from store.models import InboundUpdate

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
WAIT = 30  # seconds: a bound for a hang, never reached when the worker is right


def item(n: int, lane: str) -> Inbound:
    return Inbound("whatsapp", f"wamid.{n}", lane, n, {"n": n})


async def test_lanes_run_side_by_side_each_in_order_within_the_cap(services: Services) -> None:
    inbox = Inbox(services.db)
    # lane "slow" has two updates; its first one blocks until released
    await inbox.store(
        [item(1, "slow"), item(2, "slow")] + [item(10 + n, f"chat{n}") for n in range(6)], T0
    )
    release = asyncio.Event()
    handled: list[str] = []
    running: set[str] = set()
    most_at_once = 0
    fast_done, slow_done = asyncio.Event(), asyncio.Event()

    async def handle(held: Held) -> None:
        nonlocal most_at_once
        assert held.lane not in running, "a lane ran twice at once"
        running.add(held.lane)
        most_at_once = max(most_at_once, len(running))
        try:
            await inbox.begin(held.id)
            if held.external_id == "wamid.1":
                await release.wait()
            handled.append(held.external_id)
            await inbox.done(held.id, T0)
            if sum(e.startswith("wamid.1") and e != "wamid.1" for e in handled) == 6:
                fast_done.set()
            if held.external_id == "wamid.2":
                slow_done.set()
        finally:
            running.discard(held.lane)

    worker = LaneWorker(inbox, "whatsapp", handle, lambda: T0, concurrency=3, idle_wait=0.05)
    task = asyncio.create_task(worker.run())
    # every other chat gets through while the slow lane's first update is held
    await asyncio.wait_for(fast_done.wait(), WAIT)
    assert "wamid.1" not in handled and "wamid.2" not in handled
    release.set()
    await asyncio.wait_for(slow_done.wait(), WAIT)
    await worker.stop()
    await task
    assert handled.index("wamid.1") < handled.index("wamid.2")
    # each exactly once (a head read as pending just before it finished is not run again)
    assert sorted(handled) == sorted(f"wamid.{n}" for n in [1, 2, 10, 11, 12, 13, 14, 15])
    assert most_at_once == 3


async def test_stop_waits_for_the_update_in_hand(services: Services) -> None:
    inbox = Inbox(services.db)
    await inbox.store([item(1, "a")], T0)
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def handle(held: Held) -> None:
        started.set()
        await release.wait()
        await inbox.done(held.id, T0)
        finished.set()

    worker = LaneWorker(inbox, "whatsapp", handle, lambda: T0, concurrency=2, idle_wait=0.05)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), WAIT)
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, WAIT)
    await task
    assert finished.is_set()
    assert await inbox.counts("whatsapp") == {"done": 1}


async def test_an_update_in_hand_past_its_claim_is_counted_once(services: Services) -> None:
    # The bug: the worker's next round claimed the lane again once the claim in hand ran
    # out (the clock moved on), and a counting claim counted that attempt a second time.
    inbox = Inbox(services.db)
    await inbox.store([item(1, "a"), item(2, "b")], T0)
    clock = {"now": T0}
    started, release, finished = asyncio.Event(), asyncio.Event(), asyncio.Event()
    numbers: dict[str, int] = {}

    async def handle(held: Held) -> None:
        numbers[held.external_id] = held.number
        if held.external_id == "wamid.1":
            started.set()
            await release.wait()
        await inbox.done(held.id, clock["now"])
        if held.external_id == "wamid.1":
            finished.set()

    worker = LaneWorker(
        inbox, "whatsapp", handle, lambda: clock["now"], idle_wait=0.05, counting=True
    )
    worker.concurrency = 2
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), WAIT)
    clock["now"] = T0 + 2 * inbox.claim_for  # the claim on wamid.1 has run out
    await inbox.store([item(3, "c")], clock["now"])
    worker.wake()  # a round that claims: wamid.3 is taken, wamid.1 (in hand) is not
    for _ in range(WAIT * 20):
        if "wamid.3" in numbers:
            break
        await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(finished.wait(), WAIT)
    await worker.stop()
    await task
    async with services.db.session() as session:
        rows = {r.external_id: r for r in (await session.exec(select(InboundUpdate))).all()}
    assert rows["wamid.1"].attempts == 1 and rows["wamid.1"].state == "done"
    assert numbers == {"wamid.1": 1, "wamid.2": 1, "wamid.3": 1}


async def test_what_the_channel_reads_with_a_claim_commits_with_it_or_not_at_all(
    services: Services,
) -> None:
    inbox = Inbox(services.db)
    await inbox.store([item(1, "a"), item(2, "b")], T0)
    seen: list[list[str]] = []

    async def fails(session: AsyncSession, held: list[Held]) -> None:
        raise RuntimeError("the read failed")

    async def reads(session: AsyncSession, held: list[Held]) -> None:
        rows = (await session.exec(select(InboundUpdate.claimed_by))).all()
        seen.append([h.external_id for h in held] + [str(r is not None) for r in rows])

    with pytest.raises(RuntimeError):
        await inbox.claim("whatsapp", T0, counting=True, then=fails)
    claimed = await inbox.claim("whatsapp", T0, counting=True, then=reads)
    # The failed claim took nothing and counted nothing; the second one sees its own claims.
    assert [(h.external_id, h.number) for h in claimed] == [("wamid.1", 1), ("wamid.2", 1)]
    assert seen == [["wamid.1", "wamid.2", "True", "True"]]


class CountingInbox(Inbox):
    """The inbox, counting its claims (each a turn of the store's writer) and their sizes."""

    claims: list[int]
    claimed: asyncio.Event

    async def claim(self, *args: Any, **kwargs: Any) -> list[Held]:
        got = await super().claim(*args, **kwargs)
        self.claims.append(len(got))
        self.claimed.set()
        return got


async def test_a_claim_that_took_every_due_lane_is_not_followed_by_an_empty_one(
    services: Services,
) -> None:
    inbox = CountingInbox(services.db)
    inbox.claims, inbox.claimed = [], asyncio.Event()
    await inbox.store([item(1, "a"), item(2, "b")], T0)
    release, both = asyncio.Event(), asyncio.Event()
    in_hand: set[str] = set()

    async def handle(held: Held) -> None:
        in_hand.add(held.lane)
        if len(in_hand) == 2:
            both.set()
        await release.wait()
        await inbox.done(held.id, T0)

    # A long idle wait: only a wake-up (a stored update, a lane finished) claims again.
    worker = LaneWorker(inbox, "whatsapp", handle, lambda: T0, concurrency=5, idle_wait=WAIT)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(both.wait(), WAIT)
    await asyncio.sleep(0.2)  # time for a claim at once, had there been one
    assert inbox.claims == [2]  # two of five slots taken: every due lane was in that claim
    inbox.claimed.clear()
    await inbox.store([item(3, "c")], T0)
    worker.wake()  # as the channel does after storing
    await asyncio.wait_for(inbox.claimed.wait(), WAIT)
    assert inbox.claims == [2, 1]
    release.set()
    await worker.stop()
    await task
