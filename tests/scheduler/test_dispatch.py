"""The outbox dispatcher: delivery, retries, permanent failures, leases, two dispatchers."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlmodel import col, select

from bot.notify.delivery import PermanentFailure, TemporaryFailure
from bot.notify.outbox import enqueue
from bot.services import Services
from scheduler.dispatch import Dispatcher, RetryPolicy
from scheduler.ratelimit import RateLimiter
from store.db import Database
from store.enums import ContactKind, OutboxStatus, Role
from store.models import Contact, OutboxMessage, Requester
from tests.support.builders import make_officer
from tests.support.senders import ScriptedSender

NO_LIMITS = RateLimiter({})


async def queue(
    services: Services,
    count: int = 1,
    *,
    channel: str = "telegram",
    recipient: str = "4242",
    not_before: dt.datetime | None = None,
    prefix: str = "m",
) -> None:
    """Queue `count` messages to one recipient."""
    now = services.clock.now()
    async with services.db.transaction() as session:
        for i in range(count):
            await enqueue(
                session,
                dedup_key=f"{prefix}{i}",
                channel=channel,
                recipient=recipient,
                purpose="test",
                body=f"hello {i}",
                now=now,
                not_before=not_before,
            )


async def rows(services: Services) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    async with services.db.session() as session:
        stmt = select(OutboxMessage).order_by(col(OutboxMessage.id))
        return list((await session.exec(stmt)).all())


def dispatcher(services: Services, *senders: ScriptedSender, **policy: float) -> Dispatcher:
    """A dispatcher on the test database with no rate limits."""
    return Dispatcher(
        services.db,
        {s.channel: s for s in senders},
        services.clock,
        settings=services.settings,
        policy=RetryPolicy(**policy) if policy else None,  # type: ignore[arg-type]
        limiter=NO_LIMITS,
    )


async def test_sends_due_rows_once_and_records_the_channel_id(services: Services) -> None:
    later = services.clock.now() + dt.timedelta(hours=1)
    await queue(services, 3)
    await queue(services, 1, not_before=later, prefix="later")
    sender = ScriptedSender()
    summary = await dispatcher(services, sender).drain_once()
    assert summary.sent == 3
    assert [m.body for m in sender.sent] == ["hello 0", "hello 1", "hello 2"]
    stored = await rows(services)
    assert [r.status for r in stored] == ["sent", "sent", "sent", "pending"]
    assert stored[0].external_id == f"telegram-{stored[0].id}"
    assert stored[0].sent_at == services.clock.now()
    assert (await dispatcher(services, sender).drain_once()).sent == 0
    services.clock.advance(dt.timedelta(hours=1))  # type: ignore[attr-defined]
    assert (await dispatcher(services, sender).drain_once()).sent == 1


async def test_rows_of_a_channel_without_sender_stay_pending(services: Services) -> None:
    await queue(services, 1, channel="email", recipient="a@example.test")
    summary = await dispatcher(services, ScriptedSender("telegram")).drain_once()
    assert summary.sent == 0
    assert (await rows(services))[0].status == OutboxStatus.PENDING


async def test_telegram_429_waits_retry_after_then_succeeds(services: Services) -> None:
    await queue(services)
    sender = ScriptedSender()
    sender.fail_next(TemporaryFailure("429 Too Many Requests", retry_after=17))
    d = dispatcher(services, sender)
    summary = await d.drain_once()
    assert (summary.sent, summary.retried) == (0, 1)
    row = (await rows(services))[0]
    assert row.status == OutboxStatus.PENDING
    assert row.not_before == services.clock.now() + dt.timedelta(seconds=17)
    assert "429" in (row.last_error or "")
    services.clock.advance(dt.timedelta(seconds=16))  # type: ignore[attr-defined]
    assert (await d.drain_once()).sent == 0
    services.clock.advance(dt.timedelta(seconds=1))  # type: ignore[attr-defined]
    assert (await d.drain_once()).sent == 1
    row = (await rows(services))[0]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


async def test_backoff_doubles_then_fails_and_tells_officers(services: Services) -> None:
    admin = await make_officer(services, Role.ADMIN, telegram_user_id=900)
    await queue(services)
    sender = ScriptedSender()
    sender.fail_next(*(TemporaryFailure("timeout") for _ in range(3)))
    d = dispatcher(services, sender, max_attempts=3, base_seconds=10, max_seconds=15)
    delays = []
    for _ in range(2):
        before = services.clock.now()
        await d.drain_once()
        row = (await rows(services))[0]
        delays.append((row.not_before - before).total_seconds())
        services.clock.set(row.not_before)  # type: ignore[attr-defined]
    assert delays == [10, 15]
    summary = await d.drain_once()
    assert summary.failed == 1
    failed, *notices = await rows(services)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert [(n.recipient, n.purpose) for n in notices] == [
        (str(admin.telegram_user_id), "delivery_failed_notice")
    ]


async def test_permanent_failure_marks_contact_and_notices_go_in_office_hours(
    services: Services,
) -> None:
    utama = await make_officer(services, Role.PPID_UTAMA, telegram_user_id=901)
    async with services.db.transaction() as session:
        requester = Requester(name="Budi")
        session.add(requester)
        await session.flush()
        session.add(Contact(requester_id=requester.id, kind=ContactKind.TELEGRAM, value="4242"))  # type: ignore[arg-type]
    # Saturday evening: the notice waits for Monday 08:00 local.
    services.clock.set(dt.datetime(2026, 1, 10, 19, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))  # type: ignore[attr-defined]
    await queue(services)
    sender = ScriptedSender()
    sender.fail_next(PermanentFailure("Forbidden: bot was blocked by the user"))
    summary = await dispatcher(services, sender).drain_once()
    assert summary.failed == 1
    failed, notice = await rows(services)
    assert failed.status == OutboxStatus.FAILED
    assert notice.recipient == str(utama.telegram_user_id)
    assert notice.not_before == dt.datetime(2026, 1, 12, 1, 0, tzinfo=dt.UTC)
    assert "4242" not in notice.body and " *242 " in notice.body
    async with services.db.session() as session:
        contact = (await session.exec(select(Contact))).one()
    assert contact.failing and "blocked" in (contact.failing_reason or "")
    # The notice is not sent on Saturday, and a failing notice raises no further notice.
    assert (await dispatcher(services, sender).drain_once()).sent == 0


async def test_crash_after_claim_resends_only_after_the_lease(services: Services) -> None:
    await queue(services)
    first = dispatcher(services, ScriptedSender(), lease_seconds=600)
    claimed = await first._claim(services.clock.now())  # the process dies after claiming
    assert len(claimed) == 1
    sender = ScriptedSender()
    second = dispatcher(services, sender, lease_seconds=600)
    assert (await second.drain_once()).sent == 0  # an ordinary restart does not re-send
    services.clock.advance(dt.timedelta(seconds=600))  # type: ignore[attr-defined]
    assert (await second.drain_once()).sent == 1
    assert (await rows(services))[0].attempts == 2


async def test_claimed_rows_carry_what_the_claim_stored(services: Services) -> None:
    """The claim writes its heads with one UPDATE, not through the rows' objects: the rows it
    hands to the senders must still say what the store says (sending, the lease, the attempt),
    and a row past its last attempt is failed, not claimed, in the same claim."""
    await queue(services, 1, recipient="1")
    await queue(services, 1, recipient="2", prefix="x")
    outbox = dispatcher(services, ScriptedSender(), lease_seconds=600, max_attempts=1)
    (first,) = [r for r in await outbox._claim(services.clock.now()) if r.recipient == "1"]
    services.clock.advance(dt.timedelta(seconds=601))  # type: ignore[attr-defined]
    await queue(services, 1, recipient="3", prefix="y")
    claimed = await outbox._claim(services.clock.now())  # 1 and 2 expired after their attempt
    (fresh,) = claimed
    stored = {r.recipient: r for r in await rows(services)}
    assert fresh.recipient == "3"
    lease_end = services.clock.now() + dt.timedelta(seconds=600)
    as_stored = (stored["3"].status, stored["3"].attempts, stored["3"].not_before)
    assert as_stored == (OutboxStatus.SENDING, 1, lease_end)
    assert (fresh.status, fresh.attempts, fresh.not_before) == as_stored
    assert first.attempts == 1 and stored["1"].status == stored["2"].status == OutboxStatus.FAILED


async def test_stop_hands_claimed_rows_back(services: Services) -> None:
    await queue(services, 3)
    stop = asyncio.Event()

    class StopAfterOne(ScriptedSender):
        async def send(self, message: OutboxMessage) -> str | None:
            stop.set()
            return await super().send(message)

    sender = StopAfterOne()
    await asyncio.wait_for(dispatcher(services, sender).run_forever(stop), 5)
    assert len(sender.sent) == 1
    stored = await rows(services)
    assert [(r.status, r.attempts) for r in stored] == [("sent", 1), ("pending", 0), ("pending", 0)]
    assert all(r.not_before <= services.clock.now() for r in stored[1:])


class WaitsForOther(ScriptedSender):
    """Holds its first send until the other dispatcher's sender has sent (`other_sent`)."""

    def __init__(self, other_sent: asyncio.Event) -> None:
        super().__init__(delay=0.002)
        self.other_sent = other_sent

    async def send(self, message: OutboxMessage) -> str | None:
        await asyncio.wait_for(self.other_sent.wait(), timeout=30)
        return await super().send(message)


class SignalsFirstSend(ScriptedSender):
    """Sets `sent_once` when it has sent a row."""

    def __init__(self) -> None:
        super().__init__(delay=0.002)
        self.sent_once = asyncio.Event()

    async def send(self, message: OutboxMessage) -> str | None:
        result = await super().send(message)
        self.sent_once.set()
        return result


async def test_two_dispatchers_never_send_a_row_twice(services: Services) -> None:
    # Each dispatcher keeps at most 3 of the 6 recipients' heads in flight, and the first's
    # sends wait for the second's first one: both take part whichever claims first (no race).
    for r in range(6):
        await queue(services, 10, recipient=f"42{r}", prefix=f"r{r}-")
    second = SignalsFirstSend()
    first = WaitsForOther(second.sent_once)
    other_db = Database.from_url(services.settings.database_url)
    try:
        one = dispatcher(services, first)
        two = Dispatcher(
            other_db,
            {"telegram": second},
            services.clock,
            settings=services.settings,
            limiter=NO_LIMITS,
        )
        one.batch_size = two.batch_size = 5
        one.concurrency = two.concurrency = 3
        results = await asyncio.gather(one.drain_once(), two.drain_once())
    finally:
        await other_db.dispose()
    ids = [m.id for m in first.sent + second.sent]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 60
    assert all(r.sent > 0 for r in results), "both dispatchers took part"
    assert {r.status for r in await rows(services)} == {"sent"}


class Overlap(ScriptedSender):
    """Records, per recipient, the bodies in send order and whether two sends overlapped."""

    def __init__(self) -> None:
        super().__init__(delay=0.002)
        self.busy: set[str] = set()
        self.overlapped = False
        self.order: dict[str, list[str]] = {}

    async def send(self, message: OutboxMessage) -> str | None:
        self.overlapped |= message.recipient in self.busy
        self.busy.add(message.recipient)
        try:
            return await super().send(message)
        finally:
            self.busy.discard(message.recipient)
            self.order.setdefault(message.recipient, []).append(message.body)


async def test_two_dispatchers_send_each_recipients_rows_one_at_a_time_in_order(
    services: Services,
) -> None:
    for r in range(4):
        await queue(services, 8, recipient=f"7{r}", prefix=f"o{r}-")
    sender = Overlap()
    other_db = Database.from_url(services.settings.database_url)
    try:
        one = dispatcher(services, sender)
        two = Dispatcher(
            other_db, {"telegram": sender}, services.clock, settings=services.settings,
            limiter=NO_LIMITS,
        )  # fmt: skip
        await asyncio.gather(one.drain_once(), two.drain_once(), one.drain_once())
    finally:
        await other_db.dispose()
    assert not sender.overlapped
    assert sender.order == {f"7{r}": [f"hello {i}" for i in range(8)] for r in range(4)}


async def test_a_retried_row_keeps_the_recipients_later_rows_behind_it(
    services: Services,
) -> None:
    await queue(services, 3)
    sender = ScriptedSender()
    sender.fail_next(TemporaryFailure("429", retry_after=5))
    assert (await dispatcher(services, sender).drain_once()).sent == 0  # the others wait too
    services.clock.advance(dt.timedelta(seconds=5))  # type: ignore[attr-defined]
    assert (await dispatcher(services, sender).drain_once()).sent == 3
    assert [m.body for m in sender.sent] == ["hello 0", "hello 1", "hello 2"]


async def test_many_recipients_are_sent_side_by_side(services: Services) -> None:
    for r in range(10):
        await queue(services, 1, recipient=f"9{r}", prefix=f"s{r}-")
    peak = 0

    class Counting(ScriptedSender):
        flying = 0

        async def send(self, message: OutboxMessage) -> str | None:
            nonlocal peak
            self.flying += 1
            peak = max(peak, self.flying)
            try:
                return await super().send(message)
            finally:
                self.flying -= 1

    sender = Counting(delay=0.01)
    assert (await dispatcher(services, sender).drain_once()).sent == 10
    assert peak > 1


class OneAtATime(ScriptedSender):
    """An email sender taking one send at a time: records whether two overlapped and whether
    every earlier row was already marked sent when the next send began."""

    sends_at_once = 1

    def __init__(self, services: Services) -> None:
        super().__init__(channel="email", delay=0.002)
        self.services = services
        self.busy = 0
        self.overlapped = False
        self.unmarked_before_send = 0

    async def send(self, message: OutboxMessage) -> str | None:
        self.overlapped |= self.busy > 0
        self.busy += 1
        try:
            sent_ids = {m.id for m in self.sent}
            stored = {r.id: r.status for r in await rows(self.services)}
            self.unmarked_before_send += sum(stored[i] != "sent" for i in sent_ids)
            return await super().send(message)
        finally:
            self.busy -= 1


async def test_a_sender_taking_one_send_at_a_time_has_one_row_in_flight(
    services: Services,
) -> None:
    # Email declares sends_at_once = 1: a SIGKILL then repeats at most one mail (the pipeline
    # otherwise sends to many recipients at once, and a kill would repeat every send in flight).
    for r in range(5):
        await queue(services, 2, channel="email", recipient=f"warga{r}@warga.test", prefix=f"e{r}-")
    sender = OneAtATime(services)
    summary = await dispatcher(services, sender).drain_once()
    assert summary.sent == 10 and len(sender.sent) == 10
    assert not sender.overlapped
    assert sender.unmarked_before_send == 0
