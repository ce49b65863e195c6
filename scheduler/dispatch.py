"""The outbox dispatcher: delivers every due outbox row through its channel's Sender.

Claiming. A row is claimed in its own short transaction: it is set to `sending`, its
`not_before` becomes the lease end (now + OUTBOX_LEASE_SECONDS) and `attempts` goes up by one;
then the transaction commits and the message is sent outside any transaction. On PostgreSQL
the claim reads with `SELECT ... FOR UPDATE SKIP LOCKED`, so two dispatchers skip each other's
rows; on SQLite every transaction begins IMMEDIATE (store/db.py), so claims are serialised by
the write lock. Either way a row is handed to exactly one dispatcher.

At least once, never twice by accident. After the send the row is marked `sent` with the
channel's id for it. If the process dies between the send and that mark, the row stays
`sending` until its lease ends and is then claimed again: the message may go out a second
time, but only after the lease (default ten minutes), never on an ordinary restart. A graceful
stop hands rows it claimed but did not send back at once (`pending`, attempt not counted).

Dispatch now. A channel that must answer at once (the Telegram proof of request, right after
the citizen submits) asks `dispatch_now(case_id=..., purpose=...)`: the same claim, send and
mark as a drain, restricted to that case and purpose, so the row lifecycle is written once.
The dispatcher hands itself to every sender with a `bind_dispatch` method when it is built.

Failures. TemporaryFailure (network, Telegram 429, SMTP 4xx) and unexpected errors retry with
exponential back-off, or after the channel's `retry_after` when it gives one; after
OUTBOX_MAX_ATTEMPTS the row fails. PermanentFailure (Telegram 403, SMTP 5xx) fails the row at
once and marks the requester's contact failing. Either way the PPID Utama and admins are told.

The pipeline. A drain keeps up to `concurrency` rows in flight, each to a different recipient,
and claims more as sends finish: sends to many chats overlap, each paced by the rate limiter
(scheduler/ratelimit.py: a margin below the channel's limits, the recipient's buckets first,
then the channel's). A recipient's rows go out one at a time, in order: a claim takes only the
earliest unsent row of each (channel, recipient), by (not_before, id), and none of a recipient
that has a row in flight (`sending` with its lease running). So two workers never send one
recipient's messages at once or out of order. A retry pushes the recipient's later rows behind
the retried one; a `retry_after` also holds the recipient's bucket (or the channel's, when the
recipient had been quiet: then the limit hit is the bot's), never the other recipients.

Dispatch soon. `dispatch_soon(channel, recipient)` starts a background drain of that one
recipient's due rows (a chat handler that queued its reply returns at once; the reply goes out
in order behind whatever the chat was owed already). A wake-up is owed until a round of that
recipient's drain, begun after it, found nothing else of this process in its way; so none is
lost to another drain of the process (tests/scheduler/test_dispatch_soon.py, one test each):
- a wake-up arriving while another drain is mid-claim: that claim may take the recipient's
  head (the rows behind it are then not heads), so the wake-up is parked until the claim is
  over, and the recipient's drain runs again then (or when the head it took has been sent);
- a row behind a head another drain is sending: that drain does not take it (it was committed
  after that drain's cutoff), so the wake-up stays parked until that send is done;
- a drain that skipped the recipient because its head was in flight in the recipient's own
  drain: that recipient's drain, crossed so, runs one more round over all its due rows, so
  nothing waits for the next poll;
- purposes a wake-up adds while a round runs join that round's next claims at once, so a row
  of the round's purposes never overtakes an earlier one of the added purposes (an answer
  never goes before the proof of request queued ahead of it);
- a round that failed (the database) keeps what it was owed for the next wake-up or poll.
Other processes' drains are not seen: there the next poll round (OUTBOX_POLL_SECONDS) sends what
one of them held up. `drain_once` lets the background deliveries finish first.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.notify.delivery import PermanentFailure, Sender, TemporaryFailure
from bot.notify.delivery_failures import report_undeliverable
from bot.privacy.masking import redact
from bot.settings import Settings
from bot.workflow.rules import load_rules
from scheduler.marks import SentMarks
from scheduler.queue import due_behind, heads_due, keep_behind, overtakes, take_heads
from scheduler.rate_limits import channel_buckets
from scheduler.rate_slots import shared_slots
from scheduler.ratelimit import RateLimiter
from scheduler.retry import DrainSummary, RetryPolicy
from store.db import Database
from store.enums import OutboxStatus
from store.models import OutboxMessage

log = logging.getLogger(__name__)

SOON_WAIT_SECONDS = 10.0  # a `dispatch_soon` waits out a retry_after up to this in place
ALL = "*"  # a wake-up for every purpose: all of the recipient's due rows, in order
_ERROR_CHARS = 1000

Key = tuple[str, str]  # (channel, recipient)


class Claimed(list[OutboxMessage]):
    """The rows a claim took; `nothing_behind`: it was one recipient's claim, and no other row
    of theirs was due behind the head it took."""

    nothing_behind: bool = False


class Dispatcher:
    """Drains the outbox through the registered senders: many recipients at once, each
    recipient's rows in order."""

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        clock: Clock,
        *,
        settings: Settings,
        policy: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        batch_size: int = 20,
        concurrency: int = 32,
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.senders = dict(senders)
        self.policy = policy or RetryPolicy.from_settings(settings)
        self.limiter = limiter or RateLimiter(
            channel_buckets(settings.outbox_email_per_second), slots=shared_slots(db)
        )
        self.batch_size, self.concurrency = batch_size, max(1, concurrency)
        self._marks = SentMarks(db)
        self._soon: dict[Key, asyncio.Task[DrainSummary]] = {}
        self._owed: dict[Key, set[str]] = {}  # wake-ups not answered yet: purposes (or ALL)
        self._rounds: dict[Key, set[str]] = {}  # the purposes of each recipient's running round
        self._queued_at: dict[int, dt.datetime] = {}  # a claimed row's not_before before its lease
        self._wide_claims = 0  # claims in progress not limited to one recipient
        self._wide_started = 0  # such claims begun so far
        self._flying: Counter[Key] = Counter()  # rows being sent now, by recipient
        self._landed: Counter[Key] = Counter()  # sends finished by drains other than its own
        # Channels whose sender takes a bounded number of sends at once (`sends_at_once`): a
        # row holds its place from the send until it is marked, so a kill repeats at most that
        # many of the channel's sends (email: one, as before the pipeline).
        self._gates: dict[str, asyncio.Semaphore] = {
            channel: asyncio.Semaphore(limit)
            for channel, sender in self.senders.items()
            if (limit := getattr(sender, "sends_at_once", None))
        }
        for sender in self.senders.values():
            bind = getattr(sender, "bind_dispatch", None)
            if bind is not None:
                bind(self)

    async def drain_once(self) -> DrainSummary:
        """Try every row that is due now once (pending, or `sending` with an expired lease).

        Rows of channels without a sender stay pending. Rows rescheduled during this drain are
        not tried again in it. The background deliveries (`dispatch_soon`) finish first: a
        recipient whose row they are sending would be skipped.
        """
        await self.settle()
        return await self._drain(None)

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Claim, send and mark the due rows of `case_id` with `purpose` now, exactly as a drain
        does (a row a drain claimed meanwhile, or one queued behind another row of its
        recipient, is skipped); True if every one was sent.

        A failure is handled as in a drain (retry with back-off, or failed and reported), so
        the row goes out at the next round at the latest. Rows not yet due stay pending.
        """
        summary = await self._drain(None, {"case_id": case_id, "purpose": purpose})
        return summary.claimed > 0 and summary.sent == summary.claimed

    def dispatch_soon(
        self, channel: str, recipient: str, purposes: Sequence[str] = ()
    ) -> asyncio.Task[DrainSummary]:
        """Deliver the due rows of one recipient (only `purposes`, if given, which may then go
        ahead of its other rows) in the background, in order, now; returns the task at once
        (a drain of that recipient already running goes on to the new rows and purposes). A
        `retry_after` up to SOON_WAIT_SECONDS is waited out in place, as a person waiting for
        an answer would."""
        key = (channel, recipient)
        self._owed.setdefault(key, set()).update(purposes or (ALL,))
        current = self._rounds.get(key)
        if current is not None:  # the running round's next claims take these purposes too
            current.update(purposes or (ALL,))
        return self._wake(key)

    def _wake(self, key: Key) -> asyncio.Task[DrainSummary]:
        """The recipient's drain: the running one, or a new one."""
        running = self._soon.get(key)
        if running is not None and not running.done():
            return running
        task = asyncio.create_task(self._drain_soon(key), name=f"loket-dispatch-{key[0]}")
        self._soon[key] = task
        return task

    async def _drain_soon(self, key: Key) -> DrainSummary:
        """Rounds of one recipient's due rows while it is owed a wake-up (module docstring)."""
        only = {"channel": key[0], "recipient": key[1]}
        summary = DrainSummary()
        wanted: set[str] = set()
        try:
            while wanted := self._owed.pop(key, set()):
                wide, landed = self._wide_started - self._wide_claims, self._landed[key]
                self._rounds[key] = purposes = set(wanted)
                summary = await self._drain(
                    None, only, purposes, wait_out=SOON_WAIT_SECONDS, origin=key
                )
                del self._rounds[key]
                if self._wide_claims > 0 or self._flying[key] > 0:
                    # Parked: that claim's end, or that send's, wakes this recipient again.
                    self._owed.setdefault(key, set()).update(wanted)
                    break
                if self._landed[key] != landed:  # a send of another drain held this round up
                    self._owed.setdefault(key, set()).update(wanted)
                if summary.claimed and self._wide_started != wide:
                    # A drain claimed while this one was sending: it skipped this recipient.
                    self._owed.setdefault(key, set()).add(ALL)
            return summary
        except Exception:
            self._owed.setdefault(key, set()).update(wanted)  # kept: the next wake-up sends it
            log.exception("dispatching one recipient's rows failed; the next drain sends them")
            return summary
        finally:
            if self._soon.get(key) is asyncio.current_task():
                del self._soon[key]
                self._landed.pop(key, None)
                self._rounds.pop(key, None)

    def _unpark(self, keys: Sequence[Key]) -> None:
        """Wake the parked recipients among `keys` (owed, no drain of theirs running, nothing
        of theirs being sent: that send's end wakes them)."""
        for key in keys:
            running = self._soon.get(key)
            idle = running is None or running.done()
            if key in self._owed and idle and self._flying[key] <= 0:
                self._wake(key)

    async def settle(self) -> None:
        """Wait for every background `dispatch_soon` to finish (tests, a clean stop)."""
        while tasks := [t for t in self._soon.values() if not t.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def run_forever(self, stop_event: asyncio.Event) -> None:
        """Drain, wait OUTBOX_POLL_SECONDS (or until stopped), repeat until `stop_event` is set.

        A failing database is logged and retried on the next round; it never ends the loop.
        """
        while not stop_event.is_set():
            try:
                await self._drain(stop_event)
            except Exception:
                log.exception(
                    "outbox drain failed; retrying in %s s", self.settings.outbox_poll_seconds
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_event.wait(), self.settings.outbox_poll_seconds)

    async def _drain(
        self,
        stop_event: asyncio.Event | None,
        only: Mapping[str, Any] | None = None,
        purposes: Collection[str] = (),
        *,
        wait_out: float = 0.0,
        origin: Key | None = None,
    ) -> DrainSummary:
        """Claim heads of recipients and send them side by side, up to `concurrency` in flight,
        claiming again as sends finish, until nothing due is left (or `stop_event` is set).
        `origin` is the recipient whose own drain this is (None: any recipient's rows); its
        `purposes` are read at each claim, as a wake-up may widen them (ALL: every purpose)."""
        summary = DrainSummary()
        cutoff = self.clock.now()
        flying: set[asyncio.Task[None]] = set()
        exhausted = drained = False
        try:
            while True:
                stopping = stop_event is not None and stop_event.is_set()
                room = min(self.batch_size, self.concurrency - len(flying))
                if not stopping and not exhausted and not drained and room > 0:
                    # Read at each claim: a wake-up may widen a recipient's running round.
                    wanted = () if ALL in purposes else tuple(sorted(purposes))
                    batch = await self._claim_counted(cutoff, only, room, wanted, origin)
                    nothing_behind = batch.nothing_behind
                    widened = () if ALL in purposes else tuple(sorted(purposes))
                    again = False
                    if origin is not None and batch and widened != wanted:
                        claimed = len(batch)
                        try:
                            batch = await self._put_back_overtaking(batch, widened)
                        except Exception:  # sent as claimed: out of order at worst, not lost
                            log.exception("checking a claim against widened purposes failed")
                        again = len(batch) < claimed  # claim again, the wider purposes first
                    # Nothing due behind the head it took: once that is sent, this round is
                    # over (rows queued later come with their own wake-up). Not when a wake-up
                    # widened the purposes the look behind it was made for.
                    drained = nothing_behind and not again and widened == wanted
                    summary.claimed += len(batch)
                    for row in batch:
                        send = self._deliver(row, summary, stop_event, wait_out, origin)
                        flying.add(asyncio.create_task(send))
                    if origin is None:
                        self._wide_claims -= 1
                        self._unpark(list(self._owed))
                    exhausted = not batch and not flying and not again
                    if again and not flying:
                        continue
                if not flying:
                    await self.limiter.rest()  # an idle channel's lease goes to other workers
                    return summary
                done, flying = await asyncio.wait(flying, return_when=asyncio.FIRST_COMPLETED)
                exhausted = False
                for task in done:
                    task.result()
        finally:
            if flying:  # an error ends the drain: let the other sends finish and be marked
                await asyncio.gather(*flying, return_exceptions=True)

    async def _claim_counted(
        self,
        cutoff: dt.datetime,
        only: Mapping[str, Any] | None,
        limit: int,
        purposes: Sequence[str],
        origin: Key | None,
    ) -> Claimed:
        """`_claim`, its rows counted as flying by recipient before anything else runs; a claim
        not limited to one recipient stays counted (`_wide_claims`) until its caller has
        counted them (it decrements)."""
        if origin is None:
            self._wide_claims += 1
            self._wide_started += 1
        try:
            batch = await self._claim(cutoff, only, limit=limit, purposes=purposes)
        except BaseException:
            if origin is None:
                self._wide_claims -= 1
                self._unpark(list(self._owed))
            raise
        for row in batch:
            self._flying[(row.channel, row.recipient)] += 1
        return batch

    async def _put_back_overtaking(
        self, batch: list[OutboxMessage], purposes: Sequence[str]
    ) -> list[OutboxMessage]:
        """A recipient's round claimed `batch` while a wake-up widened its purposes: a row that
        a due row of the wider purposes was queued ahead of goes back as it was (pending, its
        place and attempt restored), so the next claim takes that one first. The rest."""
        now = self.clock.now()
        kept: list[OutboxMessage] = []
        back: list[OutboxMessage] = []
        async with self.db.transaction() as session:
            for row in batch:
                queued = self._queued_at[row.id]
                if not await overtakes(session, row, queued, now, purposes):
                    kept.append(row)
                    continue
                stored = await session.get(OutboxMessage, row.id)
                assert stored is not None
                stored.status, stored.not_before = OutboxStatus.PENDING.value, queued
                stored.attempts = max(0, stored.attempts - 1)
                session.add(stored)
                back.append(row)
        for row in back:
            del self._queued_at[row.id]
            self._settle_flight((row.channel, row.recipient))
        return kept

    def _settle_flight(self, key: Key) -> None:
        """One row of `key` counted as flying is no longer."""
        self._flying[key] -= 1
        if self._flying[key] <= 0:
            del self._flying[key]

    async def _claim(
        self,
        cutoff: dt.datetime,
        only: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        purposes: Sequence[str] = (),
    ) -> Claimed:
        """Claim the due head row of up to `limit` recipients (see the module docstring)."""
        if not self.senders:
            return Claimed()
        now = self.clock.now()
        lease_end = now + dt.timedelta(seconds=self.policy.lease_seconds)
        async with self.db.transaction() as session:
            stmt, values = heads_due(
                list(self.senders), cutoff, now, only, purposes,
                limit=limit or self.batch_size, lock=self.db.dialect == "postgresql",
            )  # fmt: skip
            claimed, expired = Claimed(), False
            for row in (await session.exec(stmt, params=values)).all():
                if row.attempts >= self.policy.max_attempts:
                    # Only a row whose lease ran out gets here: its sender never reported back.
                    await self._fail(session, row, "lease expired after the last attempt", now)
                    expired = True
                    continue
                self._queued_at[row.id] = row.not_before  # type: ignore[index]
                claimed.append(row)
            # One UPDATE for the heads taken (the ORM's flush was one a row, and a third of a
            # claim's time on the event loop); a failed row above is flushed before due_behind.
            await take_heads(session, claimed, lease_end)
            if expired:
                await session.flush()
            if claimed and only is not None and set(only) == {"channel", "recipient"}:
                # One recipient's claim: is anything due behind its head? (One query in this
                # transaction instead of a claim of its own after the send that finds nothing.)
                key = (str(only["channel"]), str(only["recipient"]))
                ids = [int(row.id) for row in claimed if row.id is not None]
                claimed.nothing_behind = not await due_behind(session, *key, cutoff, ids, purposes)
        return claimed

    async def _deliver(
        self,
        row: OutboxMessage,
        summary: DrainSummary,
        stop_event: asyncio.Event | None = None,
        wait_out: float = 0.0,
        origin: Key | None = None,
    ) -> None:
        """Send one claimed row when the limiter lets it, and mark it; a `retry_after` up to
        `wait_out` is waited out once in place, a longer one reschedules the row. Then a
        recipient's drain this send held up goes on (module docstring)."""
        key = (row.channel, row.recipient)
        try:
            await self._deliver_once(row, summary, stop_event, wait_out)
        finally:
            self._queued_at.pop(row.id, None)  # type: ignore[arg-type]
            self._settle_flight(key)
            if key != origin:
                if key in self._soon:
                    self._landed[key] += 1
                self._unpark([key])

    async def _deliver_once(
        self,
        row: OutboxMessage,
        summary: DrainSummary,
        stop_event: asyncio.Event | None,
        wait_out: float,
    ) -> None:
        gate = self._gates.get(row.channel)
        async with gate if gate is not None else contextlib.nullcontext():
            sender = self.senders[row.channel]
            for in_place in (wait_out > 0, False):
                await self.limiter.acquire(row.channel, row.recipient)
                if stop_event is not None and stop_event.is_set():
                    await self.limiter.settle(row.channel, row.recipient)
                    summary.released += await self._release([row])
                    return
                try:
                    external_id = await self._send_settled(sender, row)
                except PermanentFailure as exc:
                    await self._finish_failed(row, exc.reason, blame_contact=True)
                    summary.failed += 1
                except TemporaryFailure as exc:
                    if exc.retry_after is not None:
                        await self.limiter.back_off(row.channel, row.recipient, exc.retry_after)
                        if in_place and exc.retry_after <= wait_out:
                            continue
                    failed = await self._retry(row, exc.reason, exc.retry_after)
                    summary.failed += failed
                    summary.retried += not failed
                except Exception as exc:
                    log.exception("sender %s raised on outbox row %s", row.channel, row.id)
                    failed = await self._retry(row, f"{type(exc).__name__}: {exc}", None)
                    summary.failed += failed
                    summary.retried += not failed
                else:
                    await self._mark_sent(row, external_id)
                    summary.sent += 1
                return

    async def _send_settled(self, sender: Sender, row: OutboxMessage) -> str | None:
        """The sender's send; the limiter counts it as finished at its answer, before the row
        is marked (the mark's transaction is not the channel's time)."""
        try:
            return await sender.send(row)
        finally:
            await self.limiter.settle(row.channel, row.recipient)

    async def _mark_sent(self, row: OutboxMessage, external_id: str | None) -> None:
        """The row is `sent` once this returns (committed with the marks of other sends that
        finished meanwhile: scheduler/marks.py)."""
        await self._marks.mark(row.id, external_id, self.clock.now())  # type: ignore[arg-type]
        log.info("sent outbox row %s (%s, %s)", row.id, row.channel, row.purpose)

    async def _retry(self, row: OutboxMessage, reason: str, retry_after: float | None) -> bool:
        """Reschedule the row, or fail it when its attempts are used up; True if it failed."""
        if row.attempts >= self.policy.max_attempts:
            await self._finish_failed(row, reason, blame_contact=False)
            return True
        delay = self.policy.delay(row.attempts, retry_after)
        now = self.clock.now()
        async with self.db.transaction() as session:
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.status = OutboxStatus.PENDING.value
            stored.not_before = now + dt.timedelta(seconds=delay)
            stored.last_error = redact(reason)[:_ERROR_CHARS]
            session.add(stored)
            await keep_behind(session, stored)
        log.warning(
            "outbox row %s (%s) attempt %s failed, retry in %.0f s: %s",
            row.id,
            row.channel,
            row.attempts,
            delay,
            redact(reason),
        )
        return False

    async def _finish_failed(self, row: OutboxMessage, reason: str, *, blame_contact: bool) -> None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            await self._fail(session, stored, reason, now, blame_contact=blame_contact)

    async def _fail(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        reason: str,
        now: dt.datetime,
        *,
        blame_contact: bool = False,
    ) -> None:
        row.status, row.last_error = OutboxStatus.FAILED.value, redact(reason)[:_ERROR_CHARS]
        session.add(row)
        rules = await load_rules(session, self.settings)
        await report_undeliverable(session, row, reason, rules, now, blame_contact=blame_contact)
        log.error("outbox row %s (%s) failed for good: %s", row.id, row.channel, redact(reason))

    async def _release(self, rows: list[OutboxMessage]) -> int:
        now = self.clock.now()
        async with self.db.transaction() as session:
            for row in rows:
                stored = await session.get(OutboxMessage, row.id)
                if stored is not None and stored.status == OutboxStatus.SENDING:
                    stored.status, stored.not_before = OutboxStatus.PENDING.value, now
                    stored.attempts = max(0, stored.attempts - 1)
                    session.add(stored)
        return len(rows)
