"""One transaction and one fsync for a batch of mails, with each mail's own work unchanged.

Inside `batch_of()` the ingestion of a mail (channels/email/ingest.py, intake's door included)
runs as it always does, only its `transaction()` is part of the batch's one transaction and its
blobs are written without an fsync each. A batch is first tried *together*: a `transaction()`
is no statement at all, and the first error that leaves one (a mail the core cannot take, a
unique conflict with another poller) breaks the batch (`BatchBroken`): it is rolled back whole
and the caller runs it again *apart*, where each `transaction()` is a SAVEPOINT, so that a mail
whose ingestion fails rolls back its savepoint alone (the others stay) and a conflict is
retried in a new savepoint by intake. A batch that commits together wrote exactly what it would
have written apart (every savepoint would have been released), two statements a mail fewer.
When the block ends, every blob of the batch is written (in a thread) and made durable
with one `sync_all()`, then the batch commits: the crash-safety order of one mail (bytes
durable, then the record committed, then \\Seen) holds for the batch as a whole, since the
poller flags nothing before the commit. A SIGKILL before the commit leaves nothing of the batch
but its blobs (harmless, content-addressed) and its tries (mail_attempts, committed before).

The batch also holds what its mails share instead of looking it up each: the rules (settings
and calendar) read once in its transaction, the index of its mails' records (records.py),
intake's lookups of its messages and senders (bot.intake.lookahead), the cases its mails'
Message-IDs refer to (threads.py), the automatic answers
each sender had today (replies.py), and the mails recorded, whose tries are forgotten with one
statement before the commit.

Which database and blob store a piece of ingestion uses is read from a context variable, so
mailboxes watched side by side (asyncio tasks, each its own context) never share a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.together import taken_together, write_waiting
from bot.intake.lookahead import Lookahead, Prefetched
from bot.settings import Settings
from bot.workflow.rules import Rules, build_calendar
from channels.email.message import MailLocation
from channels.email.records import RecordIndex, forget_attempts
from channels.email.replies import SentToday
from channels.email.threads import KnownThreads
from store.blobs import BlobStore, BlobTooLarge
from store.db import Database
from store.models import CalendarOverride


class BatchBroken(Exception):
    """An error left a transaction of a batch tried together: roll it back, run it apart."""


class BatchDatabase(Database):
    """The database as seen inside a batch: every transaction a part of the one session's (a
    savepoint when the batch runs apart)."""

    def __init__(self, outer: Database, session: AsyncSession, *, apart: bool) -> None:
        super().__init__(outer.engine)
        self.batch_session, self.apart = session, apart
        self.broken: BaseException | None = None

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """The batch's session (reads see the batch's own writes)."""
        yield self.batch_session

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Apart, a savepoint: released when the block ends without error, else rolled back
        alone. Together, the session itself: an error leaving the block breaks the batch."""
        if self.apart:
            async with self.batch_session.begin_nested():
                yield self.batch_session
            return
        try:
            yield self.batch_session
        except BaseException as exc:
            self.broken = self.broken or exc
            raise

    def check(self) -> None:
        """Raise BatchBroken if an error left one of the batch's transactions (even one that
        its caller caught: what it wrote before the error is not undone without a savepoint)."""
        if self.broken is not None:
            raise BatchBroken(type(self.broken).__name__) from self.broken


class DeferredBlobs(BlobStore):
    """The blob store whose writes wait for the end of the batch: `sync_all()` (run in a
    thread, off the event loop) writes them, then makes them durable with one sync."""

    def __init__(self, blobs: BlobStore) -> None:
        super().__init__(blobs.root, blobs.max_bytes)
        self._held: dict[str, bytes] = {}

    def put(self, data: bytes, *, sync: bool = False, sha256: str | None = None) -> str:
        """The SHA-256 of `data` (BlobTooLarge over the limit); the bytes are written and
        durable after the batch's `sync_all()`."""
        if len(data) > self.max_bytes:
            raise BlobTooLarge(len(data), self.max_bytes)
        digest = sha256 or hashlib.sha256(data).hexdigest()
        self._held.setdefault(digest, data)
        return digest

    def get(self, sha256: str) -> bytes:
        """The bytes for `sha256`, held by the batch or stored before it."""
        held = self._held.get(sha256)
        return held if held is not None else super().get(sha256)

    def sync_all(self) -> None:
        """Write every blob the batch holds (each once), then make them all durable."""
        held, self._held = self._held, {}
        for digest, data in held.items():
            super().put(data, sync=False, sha256=digest)
        super().sync_all()


@dataclass
class Batch:
    """The database and blob store ingestion uses inside one batch, and what its mails share."""

    db: BatchDatabase
    blobs: DeferredBlobs
    rules: Rules | None = None
    records: RecordIndex = field(default_factory=RecordIndex)
    lookahead: Lookahead = field(default_factory=Lookahead)
    sent_today: SentToday = field(default_factory=Prefetched)
    threads: KnownThreads | None = None
    recorded: list[MailLocation] = field(default_factory=list)


class RulesOfBatches:
    """The rules each batch reads in its transaction (as `load_rules` does), the calendar built
    again only when the stored overrides changed: building one looks the national holidays up
    afresh, tens of milliseconds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._last: tuple[tuple[tuple[object, ...], ...], Rules] | None = None

    async def read(self, session: AsyncSession) -> Rules:
        """The rules in force, in `session`'s transaction."""
        overrides = list((await session.exec(select(CalendarOverride))).all())
        key = tuple((o.day, o.kind, o.name) for o in overrides)
        if self._last is None or self._last[0] != key:
            calendar = build_calendar(self.settings, overrides)
            self._last = (key, Rules(settings=self.settings, calendar=calendar))
        return self._last[1]


CURRENT: ContextVar[Batch | None] = ContextVar("mail_batch", default=None)


@contextlib.asynccontextmanager
async def batch_of(db: Database, blobs: BlobStore, *, apart: bool) -> AsyncIterator[Batch]:
    """One transaction for the mails ingested in the block: the tries of those recorded
    forgotten, their blobs synced once, then one commit when the block ends without error
    (rolled back whole otherwise; `BatchBroken` when it ran together and an error left one of
    its transactions: run it again `apart`)."""
    deferred = DeferredBlobs(blobs)
    async with db.transaction() as session:
        batch = Batch(BatchDatabase(db, session, apart=apart), deferred)
        token = CURRENT.set(batch)
        # Together, nothing is rolled back alone: the core may count in memory (references,
        # new requesters' contacts) what it would otherwise read back.
        together = contextlib.nullcontext() if apart else taken_together(session)
        try:
            async with together:
                yield batch
                batch.db.check()
                if not apart:
                    try:
                        await write_waiting(session)
                    except Exception as exc:
                        # The rows the mails left waiting met a conflict (another poller): no
                        # mail's own failure, so the batch is run again apart.
                        raise BatchBroken(type(exc).__name__) from exc
        finally:
            CURRENT.reset(token)
        await forget_attempts(session, batch.recorded)
        # The bytes are durable before the records that name them (in a thread: the event loop
        # goes on with the other mailboxes and channels meanwhile).
        await asyncio.to_thread(deferred.sync_all)
