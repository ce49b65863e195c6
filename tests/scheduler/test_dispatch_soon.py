"""`dispatch_soon` never loses a wake-up to another drain of the same process.

Each test holds one step of a drain open on an event (a claim just made, a send under way),
wakes a recipient meanwhile, lets the step go, and then waits for the background deliveries
(`settle`): what the recipient was owed has gone out, in order. Nothing waits on time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.notify.outbox import enqueue
from bot.services import Services
from scheduler.dispatch import Dispatcher
from scheduler.ratelimit import RateLimiter
from store.models import OutboxMessage
from tests.scheduler.test_dispatch import rows
from tests.support.senders import ScriptedSender

CHAT = "4242"


class HeldSender(ScriptedSender):
    """A sender that holds the send of one body until `release` is set."""

    def __init__(self, hold: str) -> None:
        super().__init__()
        self.hold, self.holding, self.release = hold, asyncio.Event(), asyncio.Event()

    async def send(self, message: OutboxMessage) -> str | None:
        """Wait for `release` first when `message` is the one held."""
        if message.body == self.hold:
            self.holding.set()
            await self.release.wait()
        return await super().send(message)


async def queue(services: Services, body: str, purpose: str = "chat") -> None:
    """Queue one message to CHAT, committed now."""
    async with services.db.transaction() as session:
        await enqueue(
            session,
            dedup_key=body,
            channel="telegram",
            recipient=CHAT,
            purpose=purpose,
            body=body,
            now=services.clock.now(),
        )


def dispatcher(services: Services, sender: ScriptedSender) -> Dispatcher:
    """A dispatcher on the test database with no rate limits."""
    return Dispatcher(
        services.db, {"telegram": sender}, services.clock, settings=services.settings,
        limiter=RateLimiter({}),
    )  # fmt: skip


class HeldClaim:
    """Wraps a dispatcher's `_claim`: the first claim waits for `go_on` (`after`: once it has
    claimed a row; else before it queries), with `claiming` set while it waits."""

    def __init__(self, dispatch: Dispatcher, monkeypatch: pytest.MonkeyPatch, *, after: bool):
        self.claim: Callable[..., Awaitable[list[OutboxMessage]]] = dispatch._claim
        self.after, self.claiming, self.go_on = after, asyncio.Event(), asyncio.Event()
        monkeypatch.setattr(dispatch, "_claim", self)

    async def __call__(self, *args: Any, **kw: Any) -> list[OutboxMessage]:
        """Claim, held once where told."""
        if not self.after and not self.claiming.is_set():
            await self._hold()
        batch = await self.claim(*args, **kw)
        if self.after and batch and not self.claiming.is_set():
            await self._hold()
        return batch

    async def _hold(self) -> None:
        self.claiming.set()
        await self.go_on.wait()


def later(services: Services) -> None:
    """Move the clock on: a row queued now is past the cutoff of a drain begun before."""
    services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]


async def test_a_wake_up_during_another_drains_claim_is_kept(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = ScriptedSender()
    dispatch = dispatcher(services, sender)
    held = HeldClaim(dispatch, monkeypatch, after=True)  # the poll's claim: made, not counted
    await queue(services, "first")
    poll = asyncio.create_task(dispatch.drain_once())
    await held.claiming.wait()
    later(services)
    await queue(services, "answer")
    await dispatch.dispatch_soon("telegram", CHAT)  # finds the chat's head taken: parked
    held.go_on.set()
    await poll
    await dispatch.settle()
    assert [m.body for m in sender.sent] == ["first", "answer"]
    assert [r.status for r in await rows(services)] == ["sent", "sent"]


async def test_a_row_behind_a_head_another_drain_is_sending_goes_when_that_send_is_done(
    services: Services,
) -> None:
    sender = HeldSender("first")
    dispatch = dispatcher(services, sender)
    await queue(services, "first")
    poll = asyncio.create_task(dispatch.drain_once())
    await sender.holding.wait()
    later(services)  # the answer is committed after the poll's claims began
    await queue(services, "answer")
    await dispatch.dispatch_soon("telegram", CHAT)  # the chat's head is in flight: parked
    assert [m.body for m in sender.sent] == []
    sender.release.set()
    await poll
    await dispatch.settle()
    assert [m.body for m in sender.sent] == ["first", "answer"]


async def test_a_drain_that_found_the_head_in_the_recipients_own_drain_leaves_nothing_behind(
    services: Services,
) -> None:
    sender = HeldSender("receipt")
    dispatch = dispatcher(services, sender)
    await queue(services, "receipt", purpose="acknowledgement")
    await queue(services, "document", purpose="letter")
    soon = dispatch.dispatch_soon("telegram", CHAT, ["acknowledgement"])
    await sender.holding.wait()
    # A poll round meanwhile: the chat's head is in flight, so it takes nothing of this chat.
    assert (await dispatch._drain(None)).claimed == 0
    sender.release.set()
    await soon
    await dispatch.settle()
    assert [m.body for m in sender.sent] == ["receipt", "document"]


async def test_a_recipients_drain_that_failed_keeps_what_it_was_owed(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = ScriptedSender()
    dispatch = dispatcher(services, sender)
    claim: Callable[..., Awaitable[list[OutboxMessage]]] = dispatch._claim
    failures = [RuntimeError("database is locked")]

    async def failing_claim(*args: Any, **kw: Any) -> list[OutboxMessage]:
        if failures:
            raise failures.pop()
        return await claim(*args, **kw)

    monkeypatch.setattr(dispatch, "_claim", failing_claim)
    await queue(services, "answer")
    await dispatch.dispatch_soon("telegram", CHAT, ["chat"])  # logged, the wake-up kept
    assert sender.sent == []
    later(services)
    await queue(services, "next answer")
    await dispatch.dispatch_soon("telegram", CHAT, ["other"])
    await dispatch.settle()
    assert [m.body for m in sender.sent] == ["answer", "next answer"]


async def test_a_wake_up_for_other_purposes_during_a_round_keeps_the_recipients_order(
    services: Services,
) -> None:
    sender = HeldSender("answer")
    dispatch = dispatcher(services, sender)
    await queue(services, "answer")
    soon = dispatch.dispatch_soon("telegram", CHAT, ["chat"])
    await sender.holding.wait()  # the chat's round of answers is sending its first
    await queue(services, "proof", purpose="acknowledgement")
    dispatch.dispatch_soon("telegram", CHAT, ["acknowledgement"])
    await queue(services, "next answer")
    dispatch.dispatch_soon("telegram", CHAT, ["chat"])
    sender.release.set()
    await soon
    await dispatch.settle()
    # Not the next answer first (its purpose was the round's): the proof was queued before it.
    assert [m.body for m in sender.sent] == ["answer", "proof", "next answer"]


async def test_a_claim_begun_before_purposes_were_added_does_not_let_a_row_overtake(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = ScriptedSender()
    dispatch = dispatcher(services, sender)
    held = HeldClaim(dispatch, monkeypatch, after=False)  # purposes read, query not yet run
    soon = dispatch.dispatch_soon("telegram", CHAT, ["chat"])
    await held.claiming.wait()
    await queue(services, "proof", purpose="acknowledgement")
    dispatch.dispatch_soon("telegram", CHAT, ["acknowledgement"])
    await queue(services, "answer")
    held.go_on.set()
    await soon
    await dispatch.settle()
    assert [m.body for m in sender.sent] == ["proof", "answer"]
    assert [(r.status, r.attempts) for r in await rows(services)] == [("sent", 1), ("sent", 1)]


class CountedClaims:
    """Wraps a dispatcher's `_claim`: the number of rows each claim took, in order."""

    def __init__(self, dispatch: Dispatcher, monkeypatch: pytest.MonkeyPatch) -> None:
        self.claim: Callable[..., Awaitable[list[OutboxMessage]]] = dispatch._claim
        self.sizes: list[int] = []
        monkeypatch.setattr(dispatch, "_claim", self)

    async def __call__(self, *args: Any, **kw: Any) -> list[OutboxMessage]:
        """Claim, and note how many rows it took."""
        batch = await self.claim(*args, **kw)
        self.sizes.append(len(batch))
        return batch


async def test_a_chats_drain_makes_no_claim_after_its_last_head(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each claim of one chat's drain looks behind the head it takes; with nothing due there,
    # the drain ends once that head is sent: no claim of its own that finds nothing (each a
    # turn of SQLite's one writer while the chats' handlers wait for it).
    sender = ScriptedSender()
    dispatch = dispatcher(services, sender)
    claims = CountedClaims(dispatch, monkeypatch)
    await queue(services, "proof of request", purpose="acknowledgement")
    await queue(services, "answer")
    await dispatch.dispatch_soon("telegram", CHAT)
    await dispatch.settle()
    assert [m.body for m in sender.sent] == ["proof of request", "answer"]
    assert claims.sizes == [1, 1]
    later(services)
    await queue(services, "another answer")  # queued after that drain: its own wake-up
    await dispatch.dispatch_soon("telegram", CHAT)
    await dispatch.settle()
    assert [m.body for m in sender.sent][-1] == "another answer"
    assert claims.sizes == [1, 1, 1]
