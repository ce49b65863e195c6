"""The dispatcher's "dispatch now" path: one case's row of one purpose, claimed, sent and
marked exactly as a drain does, and nothing else (issue #10: one row lifecycle)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.notify.delivery import TemporaryFailure
from bot.notify.outbox import enqueue
from bot.notify.purposes import Purpose
from bot.services import Services
from scheduler.dispatch import Dispatcher
from scheduler.ratelimit import RateLimiter
from store.enums import OutboxStatus
from store.models import OutboxMessage
from tests.support.builders import make_case
from tests.support.senders import ScriptedSender


class BindingSender(ScriptedSender):
    """A scripted sender that keeps the dispatcher it was registered with, as channels do."""

    def __init__(self) -> None:
        super().__init__("telegram")
        self.dispatch: Dispatcher | None = None

    def bind_dispatch(self, dispatch: Dispatcher) -> None:
        self.dispatch = dispatch


async def queue(
    services: Services, case_id: int, purpose: Purpose, *, not_before: dt.datetime | None = None
) -> None:
    """One row of `purpose` about case `case_id` to chat 4242."""
    async with services.db.transaction() as session:
        await enqueue(
            session, dedup_key=f"{purpose}:{case_id}", channel="telegram", recipient="4242",
            purpose=purpose, body=f"{purpose} {case_id}", case_id=case_id,
            now=services.clock.now(), not_before=not_before,
        )  # fmt: skip


async def rows(services: Services) -> list[OutboxMessage]:
    """The rows queued here (to chat 4242), oldest first."""
    async with services.db.session() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.recipient == "4242")
        stmt = stmt.order_by(col(OutboxMessage.id))
        return list((await session.exec(stmt)).all())


def dispatcher(services: Services, sender: ScriptedSender) -> Dispatcher:
    """A dispatcher on the test database with no rate limits."""
    return Dispatcher(
        services.db, {sender.channel: sender}, services.clock, settings=services.settings,
        limiter=RateLimiter({}),
    )  # fmt: skip


async def test_the_dispatcher_hands_itself_to_the_senders_that_ask(services: Services) -> None:
    sender = BindingSender()
    built = dispatcher(services, sender)
    assert sender.dispatch is built
    dispatcher(services, ScriptedSender("email"))  # a sender without the hook is left alone


async def test_only_the_cases_row_of_that_purpose_is_sent_and_marked(services: Services) -> None:
    first, second = await make_case(services), await make_case(services)
    assert first.id is not None and second.id is not None
    await queue(services, first.id, Purpose.ACKNOWLEDGEMENT)
    await queue(services, first.id, Purpose.LETTER)
    await queue(services, second.id, Purpose.ACKNOWLEDGEMENT)
    sender = BindingSender()
    outbox = dispatcher(services, sender)
    before = {r.id: r.status for r in await rows(services)}

    assert await outbox.dispatch_now(case_id=first.id, purpose=Purpose.ACKNOWLEDGEMENT)
    (sent,) = sender.sent
    assert (sent.case_id, sent.purpose) == (first.id, "acknowledgement")
    after = {r.id: r for r in await rows(services)}
    assert after[sent.id].status == OutboxStatus.SENT and after[sent.id].attempts == 1
    assert after[sent.id].external_id == f"telegram-{sent.id}"
    others = [r for i, r in after.items() if i != sent.id]
    assert [r.status for r in others] == [before[r.id] for r in others] == ["pending"] * 2
    # Sent once: neither a second "now" nor the next drain sends it again.
    assert not await outbox.dispatch_now(case_id=first.id, purpose=Purpose.ACKNOWLEDGEMENT)
    await outbox.drain_once()
    assert sorted(m.id for m in sender.sent) == sorted(after)  # each of ours once


async def test_a_row_held_back_or_claimed_by_a_drain_is_left_alone(services: Services) -> None:
    case = await make_case(services)
    assert case.id is not None
    later = services.clock.now() + dt.timedelta(hours=10)
    await queue(services, case.id, Purpose.STATUS_UPDATE, not_before=later)  # quiet hours
    sender = BindingSender()
    outbox = dispatcher(services, sender)
    assert not await outbox.dispatch_now(case_id=case.id, purpose=Purpose.STATUS_UPDATE)
    await queue(services, case.id, Purpose.ACKNOWLEDGEMENT)
    (claimed,) = await outbox._claim(services.clock.now())  # a drain in another process
    assert claimed.purpose == "acknowledgement"
    assert not await outbox.dispatch_now(case_id=case.id, purpose=Purpose.ACKNOWLEDGEMENT)
    assert sender.sent == []


async def test_a_failure_now_is_retried_like_any_other(services: Services) -> None:
    case = await make_case(services)
    assert case.id is not None
    await queue(services, case.id, Purpose.ACKNOWLEDGEMENT)
    sender = BindingSender()
    sender.fail_next(TemporaryFailure("429", retry_after=5))
    outbox = dispatcher(services, sender)
    assert not await outbox.dispatch_now(case_id=case.id, purpose=Purpose.ACKNOWLEDGEMENT)
    (row,) = [r for r in await rows(services) if r.purpose == "acknowledgement"]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "429")
    assert row.not_before == services.clock.now() + dt.timedelta(seconds=5)
    services.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    assert (await outbox.drain_once()).sent >= 1
    assert [m.purpose for m in sender.sent].count("acknowledgement") == 1
