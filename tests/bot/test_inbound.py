"""The channel-neutral inbox (bot/intake/inbox.py): stored once, each lane in order, retries with a
doubling delay, dead letters, and raw payloads forgotten."""

from __future__ import annotations

import datetime as dt

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
    assert await inbox.counts("whatsapp") == {"pending": 3}


async def test_each_lane_in_order_and_a_failing_head_holds_only_its_lane(
    services: Services,
) -> None:
    inbox = Inbox(services.db, max_attempts=2, retry_base=dt.timedelta(seconds=10))
    await inbox.store([item(3, "a"), item(1, "a"), item(2, "b"), item(5, "b")], T0)
    heads = await inbox.heads("whatsapp", T0)
    assert sorted(h.external_id for h in heads) == ["wamid.1", "wamid.2"]
    first_a = next(h for h in heads if h.lane == "a")
    assert await inbox.begin(first_a.id) == 1
    assert await inbox.failed(first_a.id, "RuntimeError: boom", T0) == "pending"
    b = next(h for h in heads if h.lane == "b")
    await inbox.begin(b.id)
    await inbox.done(b.id, T0)
    # lane a waits for its retry (its second update must not overtake); lane b goes on
    assert [h.external_id for h in await inbox.heads("whatsapp", T0)] == ["wamid.5"]
    later = T0 + dt.timedelta(seconds=10)
    (retry,) = [h for h in await inbox.heads("whatsapp", later) if h.lane == "a"]
    assert (retry.external_id, retry.attempts, retry.interrupted) == ("wamid.1", 1, False)
    assert await inbox.begin(retry.id) == 2
    assert await inbox.failed(retry.id, "RuntimeError: boom", later) == "dead"
    assert [h.external_id for h in await inbox.heads("whatsapp", later) if h.lane == "a"] == [
        "wamid.3"
    ]
    (dead,) = await inbox.dead_letters("whatsapp")
    assert (dead.external_id, dead.payload, dead.last_error) == (
        "wamid.1", {"text": "pesan 1"}, "RuntimeError: boom",
    )  # fmt: skip
    assert await inbox.retry("whatsapp", dead.id)
    assert not await inbox.retry("whatsapp", dead.id)  # not dead any more
    assert [h.attempts for h in await inbox.heads("whatsapp", T0) if h.lane == "a"] == [0]


async def test_an_attempt_that_never_reported_back_is_marked_interrupted(
    services: Services,
) -> None:
    inbox = Inbox(services.db)
    await inbox.store([item(1, "a")], T0)
    (head,) = await inbox.heads("whatsapp", T0)
    await inbox.begin(head.id)  # ... and the process was killed
    (again,) = await inbox.heads("whatsapp", T0)
    assert again.interrupted


async def test_payloads_go_when_done_and_rows_after_retention(services: Services) -> None:
    inbox = Inbox(services.db, max_attempts=1)
    await inbox.store([item(1, "a"), item(2, "b")], T0)
    one, two = await inbox.heads("whatsapp", T0)
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
