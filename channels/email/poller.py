"""Reading one mailbox: fetch everything new, hand it to the core, then wait and repeat.

Per message the order is fixed: fetch (BODY.PEEK, nothing flagged) -> count the try -> read
(parse and classify, in a worker process with a time and memory limit) -> ingest (one committed
transaction) -> flag \\Seen or move. A crash between any two steps is repaired by the next
run (channels/email/ingest.py explains why); a mail that could not be read, or whose tries never
finished MAIL_MAX_ATTEMPTS times, is recorded raw for review and flagged like any other, so
no mail is fetched and processed in a loop. Waiting uses IDLE where the server offers it (mail
is taken within a second of arrival) and plain polling otherwise; either way the mailbox is read
again at least every IMAP_POLL_SECONDS. A lost connection is retried after a back-off that
doubles up to a ceiling, starting again from RECONNECT_BACKOFF_SECONDS once connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.clock import Clock
from bot.crash_points import crash_point
from bot.privacy.masking import redact
from bot.settings import Settings
from channels.email.batch import BatchBroken
from channels.email.errors import MailboxError
from channels.email.imap import IDLE_RENEW_SECONDS, FetchedMail, ImapSession
from channels.email.ingest import IngestOutcome, MailIngestor
from channels.email.mailboxes import MailboxConfig
from channels.email.message import IncomingMail, MailLocation, MailReading
from channels.email.reader import read_mail, salvage
from channels.email.worker import READER_FAILED, MailReaderPool, ReadResult, default_workers

log = logging.getLogger(__name__)

RECONNECT_BACKOFF_SECONDS = 10.0
RECONNECT_BACKOFF_MAX_SECONDS = 300.0
# A batch: at most this many mails, and this many bytes of them (a bigger mail is one alone).
# A batch's costs that do not grow with its mails (the lookups, the commit, the sync, the
# flags: ~60 ms) are shared by all of them: 40 mails a batch took 10 000 in ~205-238 mails a
# second, 100 in ~304 (docs/benchmarks.md). The price: a batch holds SQLite's writer for
# about 2.5-3 ms a mail, so while a backlog is taken another channel's write may wait ~0.3 s.
BATCH_MAILS = 100
BATCH_BYTES = 32 * 1024 * 1024


def reader_pool(settings: Settings) -> MailReaderPool:
    """The workers that read mail (one per core), with the MAIL_PARSE_* limits."""
    return MailReaderPool(settings.mail_parse_timeout_seconds, settings.mail_parse_memory_mb,
                          workers=default_workers())  # fmt: skip


def batches(uids: list[int], sizes: dict[int, int]) -> list[list[int]]:
    """`uids` (those still there: in `sizes`) cut into batches of at most BATCH_MAILS mails
    and BATCH_BYTES bytes, in order."""
    cut: list[list[int]] = []
    size = 0
    for uid in (u for u in uids if u in sizes):
        if not cut or len(cut[-1]) >= BATCH_MAILS or size + sizes[uid] > BATCH_BYTES:
            cut.append([])
            size = 0
        cut[-1].append(uid)
        size += sizes[uid]
    return cut


def describe(exc: BaseException) -> str:
    """An error in one log-safe line: its type and first line, personal data masked. (Database
    errors carry the statement's parameters, that is mail content, on their later lines.)"""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {redact(lines[0])[:300]}" if lines else type(exc).__name__


@dataclass
class PollSummary:
    """What one pass over a mailbox did, per disposition."""

    mailbox: str
    fetched: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    already_recorded: int = 0
    failed: int = 0

    def add(self, outcome: IngestOutcome) -> None:
        """Count one ingested email."""
        if outcome.duplicate:
            self.duplicates += 1
        else:
            key = outcome.disposition.value
            self.counts[key] = self.counts.get(key, 0) + 1


@dataclass
class _Fetched:
    """A batch fetched, and its reading on the workers (under way)."""

    mails: list[FetchedMail]
    reading: asyncio.Future[list[ReadResult]]


def incoming_from(
    reading: MailReading,
    fetched: FetchedMail,
    location: MailLocation,
    config: MailboxConfig,
    now: dt.datetime,
    quarantine: str | None = None,
) -> IncomingMail:
    """The mail for ingestion from what was read of it (`quarantine`: why nothing could be)."""
    # The server's arrival time is the receipt time (UU KIP counts from receipt), unless the
    # clock says otherwise (a server clock ahead of ours).
    received_at = min(fetched.internaldate or now, now)
    return IncomingMail.of(
        reading,
        location=location,
        raw=fetched.raw,
        received_at=received_at,
        new_case_kind=config.case_kind,
        unit_id=config.unit_id,
        quarantine=quarantine,
    )


def build_incoming(
    fetched: FetchedMail, location: MailLocation, config: MailboxConfig, now: dt.datetime
) -> IncomingMail:
    """Parse and classify fetched bytes in this process (the watcher uses a worker instead);
    a mail that cannot be parsed goes to review."""
    try:
        reading = read_mail(fetched.raw)
    except Exception as exc:  # read_mail never raises; should it, the mail is still kept
        log.error("could not read email %s: %s", location, describe(exc))
        return quarantined(fetched, location, config, now, READER_FAILED)
    return incoming_from(reading, fetched, location, config, now)


def quarantined(
    fetched: FetchedMail,
    location: MailLocation,
    config: MailboxConfig,
    now: dt.datetime,
    reason: str,
) -> IncomingMail:
    """A mail that could not be read, with what `salvage` finds, for review (issue #9)."""
    return incoming_from(salvage(fetched.raw), fetched, location, config, now, reason)


class MailboxWatcher:
    """Keeps one mailbox drained for as long as it runs."""

    def __init__(
        self,
        config: MailboxConfig,
        ingestor: MailIngestor,
        settings: Settings,
        clock: Clock,
        reader: MailReaderPool | None = None,
    ) -> None:
        self.config, self.ingestor, self.settings, self.clock = config, ingestor, settings, clock
        self.reader = reader or reader_pool(settings)

    def _judged(
        self, fetched: FetchedMail, location: MailLocation, result: ReadResult, tries: int
    ) -> IncomingMail:
        """The mail for ingestion, or its quarantine: when the worker could not read it, or
        when earlier tries at ingesting it never finished (a crash loop, issue #9)."""
        now = self.clock.now()
        if tries > self.settings.mail_max_attempts:
            log.error("email %s failed %d times: kept for review", location, tries - 1)
            return quarantined(fetched, location, self.config, now, "repeated_failure")
        if result.reading is None:
            log.error("email %s could not be read (%s): kept for review", location,
                      result.failure)  # fmt: skip
            return quarantined(fetched, location, self.config, now, result.failure or "")
        return incoming_from(result.reading, fetched, location, self.config, now)

    async def connect(self) -> ImapSession:
        """A connection to this mailbox (InvalidAuth / InvalidFolder / ConnectionFailed)."""
        return await ImapSession.connect(self.config, self.settings.mail_ca_file)

    async def poll_once(self, imap: ImapSession) -> PollSummary:
        """Ingest every new message of the mailbox once, in batches; return what happened."""
        summary = PollSummary(self.config.name)
        after = await self.ingestor.last_uid(self.config.name, imap.uidvalidity)
        uids = await imap.new_uids(after, everything=bool(self.config.processed_folder))
        recorded = await self.ingestor.recorded_uids(self.config.name, imap.uidvalidity, uids)
        if recorded:  # committed before a crash, not yet flagged
            summary.already_recorded += len(recorded)
            await self._mark(imap, [uid for uid in uids if uid in recorded])
        fresh = [uid for uid in uids if uid not in recorded]
        cut = batches(fresh, await imap.sizes(fresh))
        if not cut:
            return summary
        ahead: _Fetched | None = await self._fetch(imap, cut[0], summary)
        following = cut[1:]
        try:
            while ahead is not None:
                current = ahead
                results = await current.reading
                # The next batch is fetched now (the connection is idle) and read by the
                # workers while this one is ingested.
                ahead = await self._fetch(imap, following.pop(0), summary) if following else None
                await self._take(imap, current.mails, results, summary)
        finally:
            if ahead is not None and not ahead.reading.done():
                ahead.reading.cancel()
                with contextlib.suppress(BaseException):
                    await ahead.reading
        return summary

    async def _fetch(self, imap: ImapSession, uids: list[int], summary: PollSummary) -> _Fetched:
        """Fetch one batch with one command and start reading it on the workers."""
        fetched = await imap.fetch_many(uids)
        mails = [fetched[uid] for uid in uids if uid in fetched]  # not expunged meanwhile
        for _mail in mails:
            crash_point("mail_fetched")
        summary.fetched += len(mails)
        reading = asyncio.ensure_future(self.reader.read_many([mail.raw for mail in mails]))
        return _Fetched(mails, reading)

    async def _take(
        self,
        imap: ImapSession,
        mails: list[FetchedMail],
        results: list[ReadResult],
        summary: PollSummary,
    ) -> None:
        """Ingest one batch (read already), then flag it.

        Mail tried before whose tries never finished (Loket died with it) is taken one mail
        at a time, its try counted just before, so that a mail that kills Loket is the only
        one to reach MAIL_MAX_ATTEMPTS; the rest is ingested in one transaction (batch.py)."""
        where = [MailLocation(self.config.name, imap.uidvalidity, m.uid) for m in mails]
        first = await self.ingestor.note_first_attempts(where)
        judged = [
            self._judged(mails[i], loc, results[i], 1)
            for i, loc in enumerate(where)
            if loc.uid in first
        ]
        await self._ingest(imap, judged, summary)
        for i, (mail, location) in enumerate(zip(mails, where, strict=True)):
            if location.uid not in first:
                (n,) = await self.ingestor.note_attempts([location])
                await self._ingest(imap, [self._judged(mail, location, results[i], n)], summary)

    async def _ingest(
        self, imap: ImapSession, mails: list[IncomingMail], summary: PollSummary
    ) -> None:
        """Ingest `mails` in one transaction and flag those taken after its commit."""
        if not mails:
            return
        try:
            outcomes = await self._ingest_batch(mails, summary, apart=len(mails) == 1)
        except BatchBroken as broken:
            if isinstance(broken.__cause__, (OperationalError, InterfaceError)):
                raise broken.__cause__ from None  # the database is away: retry after back-off
            outcomes = await self._ingest_batch(mails, summary, apart=True)
        for _uid, outcome in outcomes:
            summary.add(outcome)
            crash_point("mail_committed")
        await self._mark(imap, [uid for uid, _outcome in outcomes])

    async def _ingest_batch(
        self, mails: list[IncomingMail], summary: PollSummary, *, apart: bool
    ) -> list[tuple[int, IngestOutcome]]:
        """Ingest `mails` in one transaction: together (BatchBroken at the first mail that
        fails) or `apart`, each mail in a savepoint, one that fails left for the next pass."""
        outcomes: list[tuple[int, IngestOutcome]] = []
        async with self.ingestor.batch(mails, apart=apart):
            for mail in mails:
                try:
                    outcomes.append((mail.location.uid, await self.ingestor.ingest(mail)))
                except (OperationalError, InterfaceError, BatchBroken):
                    raise  # the database is away, or the batch is to run again apart
                except Exception as exc:
                    # One mail the core cannot take must not hold up the ones after it; its
                    # savepoint is rolled back, it stays unread and is tried again on the next
                    # pass, MAIL_MAX_ATTEMPTS times in all, then quarantined (see _judged).
                    log.error("email %s not ingested, left for the next pass: %s",
                              mail.location, describe(exc))  # fmt: skip
                    summary.failed += 1
        return outcomes

    async def _mark(self, imap: ImapSession, uids: list[int]) -> None:
        """Flag (or move) the committed mails at `uids`, in one command."""
        await imap.mark_processed(uids)
        for _uid in uids:
            crash_point("mail_marked")

    async def poll_now(self) -> PollSummary:
        """Connect, ingest everything new once, disconnect (`loket mail poll --once`)."""
        imap = await self.connect()
        try:
            return await self.poll_once(imap)
        finally:
            await imap.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll, wait for mail (IDLE or interval), repeat; reconnect after failures."""
        backoff = RECONNECT_BACKOFF_SECONDS
        while not stop.is_set():
            try:
                imap = await self.connect()
                backoff = RECONNECT_BACKOFF_SECONDS
                try:
                    while not stop.is_set():
                        summary = await self.poll_once(imap)
                        if summary.fetched:
                            log.info("mailbox %s: %s", self.config.name, summary)
                        # Even with IDLE, look again after IMAP_POLL_SECONDS: a push lost between
                        # the search and the IDLE command must not delay mail for long.
                        poll = self.settings.imap_poll_seconds
                        await imap.wait_for_mail(min(poll, IDLE_RENEW_SECONDS))
                finally:
                    await imap.close()
            except MailboxError as exc:
                log.warning("mailbox %s: %s; retrying in %.0f s", exc.mailbox, exc.key, backoff)
            except Exception as exc:  # the database or a bug: keep the loop alive, say so loudly
                log.error("mailbox %s failed (%s); retrying in %.0f s", self.config.name,
                          describe(exc), backoff)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff)
            backoff = min(backoff * 2, RECONNECT_BACKOFF_MAX_SECONDS)
