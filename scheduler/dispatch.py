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
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.notify.delivery import PermanentFailure, Sender, TemporaryFailure
from bot.notify.delivery_failures import report_undeliverable
from bot.privacy.masking import redact
from bot.settings import Settings
from bot.workflow.rules import load_rules
from scheduler.ratelimit import RateLimiter, channel_buckets
from store.db import Database
from store.enums import OutboxStatus
from store.models import OutboxMessage

log = logging.getLogger(__name__)

MIN_RETRY_SECONDS = 1.0
_ERROR_CHARS = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry, and how long a claim is reserved."""

    max_attempts: int = 12
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    lease_seconds: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy configured by the OUTBOX_* settings."""
        return cls(
            max_attempts=settings.outbox_max_attempts,
            base_seconds=settings.outbox_retry_base_seconds,
            max_seconds=settings.outbox_retry_max_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )

    def delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds before the next attempt: the channel's `retry_after` if given, else
        base x 2^(attempts-1) capped at the maximum; never less than one second.
        """
        if retry_after is not None:
            return max(MIN_RETRY_SECONDS, retry_after)
        return max(
            MIN_RETRY_SECONDS, min(self.max_seconds, self.base_seconds * 2 ** (attempts - 1))
        )


@dataclass
class DrainSummary:
    """What one drain did: rows sent, rescheduled, failed, and handed back on a stop."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


class Dispatcher:
    """Drains the outbox through the registered senders, one claimed batch at a time."""

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
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.senders = dict(senders)
        self.policy = policy or RetryPolicy.from_settings(settings)
        self.limiter = limiter or RateLimiter(channel_buckets(settings.outbox_email_per_second))
        self.batch_size = batch_size
        for sender in self.senders.values():
            bind = getattr(sender, "bind_dispatch", None)
            if bind is not None:
                bind(self)

    async def drain_once(self) -> DrainSummary:
        """Try every row that is due now once (pending, or `sending` with an expired lease).

        Rows of channels without a sender stay pending. Rows rescheduled during this drain are
        not tried again in it.
        """
        return await self._drain(None)

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Claim, send and mark the due rows of `case_id` with `purpose` now, exactly as a drain
        does (a row a drain claimed meanwhile is skipped); True if every one was sent.

        A failure is handled as in a drain (retry with back-off, or failed and reported), so
        the row goes out at the next round at the latest. Rows not yet due stay pending.
        """
        summary = DrainSummary()
        only = (col(OutboxMessage.case_id) == case_id, col(OutboxMessage.purpose) == purpose)
        batch = await self._claim(self.clock.now(), only)
        for row in batch:
            await self._deliver(row, summary)
        return bool(batch) and summary.sent == len(batch)

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

    async def _drain(self, stop_event: asyncio.Event | None) -> DrainSummary:
        summary = DrainSummary()
        cutoff = self.clock.now()
        while batch := await self._claim(cutoff):
            for index, row in enumerate(batch):
                if stop_event is not None and stop_event.is_set():
                    summary.released += await self._release(batch[index:])
                    return summary
                await self._deliver(row, summary)
        return summary

    async def _claim(self, cutoff: dt.datetime, only: Sequence[Any] = ()) -> list[OutboxMessage]:
        if not self.senders:
            return []
        now = self.clock.now()
        lease_end = now + dt.timedelta(seconds=self.policy.lease_seconds)
        async with self.db.transaction() as session:
            stmt = (
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.channel).in_(list(self.senders)),
                    col(OutboxMessage.status).in_(
                        [OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]
                    ),
                    col(OutboxMessage.not_before) <= cutoff,
                    *only,
                )
                .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
                .limit(self.batch_size)
            )
            if self.db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            claimed: list[OutboxMessage] = []
            for row in (await session.exec(stmt)).all():
                if row.attempts >= self.policy.max_attempts:
                    # Only a row whose lease ran out gets here: its sender never reported back.
                    await self._fail(session, row, "lease expired after the last attempt", now)
                    continue
                row.status, row.not_before = OutboxStatus.SENDING.value, lease_end
                row.attempts += 1
                session.add(row)
                claimed.append(row)
        return claimed

    async def _deliver(self, row: OutboxMessage, summary: DrainSummary) -> None:
        sender = self.senders[row.channel]
        await self.limiter.acquire(row.channel, row.recipient)
        try:
            external_id = await sender.send(row)
        except PermanentFailure as exc:
            await self._finish_failed(row, exc.reason, blame_contact=True)
            summary.failed += 1
        except TemporaryFailure as exc:
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

    async def _mark_sent(self, row: OutboxMessage, external_id: str | None) -> None:
        now = self.clock.now()
        async with self.db.transaction() as session:
            stored = await session.get(OutboxMessage, row.id)
            assert stored is not None
            stored.status, stored.sent_at = OutboxStatus.SENT.value, now
            stored.external_id, stored.last_error = external_id, None
            session.add(stored)
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
