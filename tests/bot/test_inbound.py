"""The channel-neutral inbox (bot/intake/inbox.py): stored once, each lane in order, retries with a
doubling delay, dead letters, and raw payloads forgotten."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlmodel import select

from bot.intake.inbox import Inbound, Inbox
from bot.services import Services
from store.models import InboundUpdate

T0 = dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)


def item(n: int, lane: str, key: str | None = None) -> Inbound:
    """Update `n` of `lane` (WhatsApp-like: any channel name and id will do)."""
    return Inbound("whatsapp", f"wamid.{n}", lane, n, {"text": f"pesan {n}"}, key)


async def test_stored_once_by_id_or_message_key(services: Services) -> None:
    inbox = Inbox(services.db)
    assert await inbox.store([item(1, "a", "m1"), item(2, "a")], T0) == 2
    assert await inbox.store([item(1, "a"), item(3, "a", "m1"), item(4, "b")], T0) == 1
    # One batch (one statement) holding the same update twice, by id or by message key.
    assert await inbox.store([item(5, "a", "m5"), item(5, "a"), item(6, "b", "m5")], T0) == 1
    assert await inbox.counts("whatsapp") == {"pending": 4}


async def test_each_lane_in_order_and_a_failing_head_holds_only_its_lane(
    services: Services,
) -> None:
    inbox = Inbox(services.db, max_attempts=2, retry_base=dt.timedelta(seconds=10))
    await inbox.store([item(3, "a"), item(1, "a"), item(2, "b"), item(5, "b")], T0)
    heads = await inbox.claim("whatsapp", T0)
    assert sorted(h.external_id for h in heads) == ["wamid.1", "wamid.2"]
    first_a = next(h for h in heads if h.lane == "a")
    assert await inbox.begin(first_a.id) == 1
    assert await inbox.failed(first_a.id, "RuntimeError: boom", T0) == "pending"
    b = next(h for h in heads if h.lane == "b")
    await inbox.begin(b.id)
    await inbox.done(b.id, T0)
    # lane a waits for its retry (its second update must not overtake); lane b goes on
    assert [h.external_id for h in await inbox.claim("whatsapp", T0)] == ["wamid.5"]
    later = T0 + dt.timedelta(seconds=10)
    (retry,) = [h for h in await inbox.claim("whatsapp", later) if h.lane == "a"]
    assert (retry.external_id, retry.attempts, retry.interrupted) == ("wamid.1", 1, False)
    assert await inbox.begin(retry.id) == 2
    assert await inbox.failed(retry.id, "RuntimeError: boom", later) == "dead"
    assert [h.external_id for h in await inbox.claim("whatsapp", later) if h.lane == "a"] == [
        "wamid.3"
    ]
    (dead,) = await inbox.dead_letters("whatsapp")
    assert (dead.external_id, dead.payload, dead.last_error) == (
        "wamid.1", {"text": "pesan 1"}, "RuntimeError: boom",
    )  # fmt: skip
    assert await inbox.retry("whatsapp", dead.id)
    assert not await inbox.retry("whatsapp", dead.id)  # not dead any more
    # wamid.3 was claimed above: lane a is busy until that claim runs out, then wamid.1 is first
    assert [h for h in await inbox.claim("whatsapp", later) if h.lane == "a"] == []
    expired = later + inbox.claim_for
    assert [h.attempts for h in await inbox.claim("whatsapp", expired) if h.lane == "a"] == [0]


async def test_an_attempt_that_never_reported_back_is_marked_interrupted(
    services: Services,
) -> None:
    inbox = Inbox(services.db)
    await inbox.store([item(1, "a")], T0)
    (head,) = await inbox.claim("whatsapp", T0)
    await inbox.begin(head.id)  # ... and the process was killed
    assert await inbox.claim("whatsapp", T0) == []  # its claim still holds
    (again,) = await inbox.claim("whatsapp", T0 + inbox.claim_for)
    assert again.interrupted


async def test_payloads_go_when_done_and_rows_after_retention(services: Services) -> None:
    inbox = Inbox(services.db, max_attempts=1)
    await inbox.store([item(1, "a"), item(2, "b")], T0)
    one, two = await inbox.claim("whatsapp", T0)
    await inbox.done(one.id, T0)
    async with services.db.session() as session:
        stored = await session.get(InboundUpdate, one.id)
    assert stored is not None and (stored.state, stored.payload) == ("done", None)
    await inbox.begin(two.id)
    await inbox.failed(two.id, "boom", T0)
    day = dt.timedelta(days=1)
    assert await inbox.prune(done_before=T0, dead_before=T0) == 0
    assert await inbox.store([item(1, "a")], T0 + day) == 0  # a re-delivery is still known
    assert await inbox.prune(done_before=T0 + day, dead_before=T0) == 1
    assert await inbox.counts("whatsapp") == {"dead": 1}
    assert await inbox.prune(done_before=T0 + day, dead_before=T0 + day) == 1
    assert await inbox.counts("whatsapp") == {}


async def test_a_lane_is_claimed_by_one_worker_until_its_claim_runs_out(
    services: Services,
) -> None:
    first = Inbox(services.db, worker="w1", claim_for=dt.timedelta(seconds=30))
    second = Inbox(services.db, worker="w2", claim_for=dt.timedelta(seconds=30))
    await first.store([item(1, "a"), item(2, "a"), item(3, "b")], T0)
    assert [h.external_id for h in await first.claim("whatsapp", T0, limit=1)] == ["wamid.1"]
    # lane a is w1's: w2 gets lane b only, and never a's second update
    (b,) = await second.claim("whatsapp", T0)
    assert b.external_id == "wamid.3"
    assert await second.claim("whatsapp", T0) == []
    await second.done(b.id, T0)
    # w1 renews its claim: still nobody else's 20 s later; a claim it lost is not renewed
    (a1,) = [r for r in await _rows(services) if r.external_id == "wamid.1"]
    assert await first.renew([a1.id], T0 + dt.timedelta(seconds=20)) == 1
    assert await second.claim("whatsapp", T0 + dt.timedelta(seconds=40)) == []
    # w1 dies: after its claim runs out w2 takes the update it had begun
    late = T0 + dt.timedelta(seconds=51)
    (taken,) = await second.claim("whatsapp", late)
    assert (taken.external_id, taken.id) == ("wamid.1", a1.id)
    assert await first.renew([a1.id], late) == 0
    await second.done(taken.id, late)
    assert [h.external_id for h in await first.claim("whatsapp", late)] == ["wamid.2"]


async def test_concurrent_claims_never_hand_one_lane_to_two_workers(services: Services) -> None:
    await Inbox(services.db).store([item(n, f"lane{n % 7}") for n in range(60)], T0)
    workers = [Inbox(services.db, worker=f"w{n}") for n in range(4)]
    handled: list[str] = []
    for _ in range(20):  # every round: all four claim at once, then finish what they got
        got = await asyncio.gather(*(w.claim("whatsapp", T0, limit=3) for w in workers))
        lanes = [h.lane for batch in got for h in batch]
        assert len(lanes) == len(set(lanes)), "one lane handed out twice"
        for w, batch in zip(workers, got, strict=True):
            for h in batch:
                handled.append(h.external_id)
                await w.done(h.id, T0)
    assert sorted(handled) == sorted(f"wamid.{n}" for n in range(60))
    order = [int(e.split(".")[1]) for e in handled]
    for lane in range(7):
        mine = [n for n in order if n % 7 == lane]
        assert mine == sorted(mine)


async def _rows(services: Services) -> list[InboundUpdate]:
    async with services.db.session() as session:
        return list((await session.exec(select(InboundUpdate))).all())


async def test_a_counting_claim_counts_the_attempt_as_begin_would(services: Services) -> None:
    inbox = Inbox(services.db, max_attempts=2, retry_base=dt.timedelta(seconds=10))
    await inbox.store([item(1, "a"), item(2, "b")], T0)
    heads = {h.lane: h for h in await inbox.claim("whatsapp", T0, counting=True)}
    assert [(h.number, h.attempts, h.interrupted) for h in heads.values()] == [(1, 0, False)] * 2
    assert await inbox.failed(heads["a"].id, "RuntimeError: boom", T0) == "pending"
    # Killed mid-handler: the attempt was committed with the claim, so the next one knows.
    later = T0 + dt.timedelta(seconds=10) + inbox.claim_for
    again = {h.lane: h for h in await inbox.claim("whatsapp", later, counting=True)}
    assert (again["a"].number, again["a"].attempts, again["a"].interrupted) == (2, 1, False)
    assert (again["b"].number, again["b"].attempts, again["b"].interrupted) == (2, 1, True)
    # The last allowed attempt fails for good, as after `begin`.
    assert await inbox.failed(again["a"].id, "RuntimeError: boom", later) == "dead"
    # Without counting, nothing is counted (the caller calls `begin`).
    await inbox.store([item(3, "c")], later)
    (plain,) = [h for h in await inbox.claim("whatsapp", later) if h.lane == "c"]
    assert (plain.number, plain.attempts) == (0, 0)
