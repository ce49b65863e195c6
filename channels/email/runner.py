"""The email channel's wiring: the mailbox watchers of `loket run` (IMAP intake, IDLE or
polling) and the SMTP sender of the outbox, built on the core's services."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.services import Services
from channels.email.ingest import MailIngestor
from channels.email.mailboxes import MailboxConfig, configured_mailboxes
from channels.email.poller import MailboxWatcher, reader_pool
from channels.email.sender import EmailSender
from channels.email.worker import MailReaderPool

if TYPE_CHECKING:
    from bot.ports import ChannelParts

log = logging.getLogger(__name__)


def ingestor_for(services: Services) -> MailIngestor:
    """The email channel's ingestion (through the one door, `services.intake`) on these services."""
    return MailIngestor(
        services.db, services.settings, services.clock, services.blobs, services.intake
    )


async def watchers(
    services: Services, reader: MailReaderPool | None = None
) -> list[MailboxWatcher]:
    """One watcher per configured mailbox (the IMAP_* one and every added one), all reading
    mail in the same worker (`reader`, or a new one)."""
    async with services.db.session() as session:
        configs = await configured_mailboxes(session, services.settings)
    ingestor = ingestor_for(services)
    reader = reader or reader_pool(services.settings)
    return [MailboxWatcher(c, ingestor, services.settings, services.clock, reader) for c in configs]


class EmailRunner:
    """Watches every configured mailbox until stopped."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._reader: MailReaderPool | None = None
        self._reader_users = 0

    async def start(self) -> None:
        """Start one watcher task per mailbox; returns at once."""
        self._stop.clear()
        self._reader = reader_pool(self.services.settings)
        for watcher in await watchers(self.services, self._reader):
            self._tasks.append(asyncio.create_task(watcher.run(self._stop)))
        log.info("email: watching %d mailbox(es)", len(self._tasks))

    async def roles(self) -> list[tuple[str, MailboxRunner]]:
        """One singleton role per mailbox instead of one for the whole channel."""
        return await mailbox_roles(self)

    def shared_reader(self) -> MailReaderPool:
        """The mail-reading worker the watched mailboxes of this process share."""
        if self._reader is None:
            self._reader = reader_pool(self.services.settings)
        self._reader_users += 1
        return self._reader

    def release_reader(self) -> None:
        """One mailbox less uses the reader; the last one closes it."""
        self._reader_users = max(0, self._reader_users - 1)
        if self._reader_users == 0 and self._reader is not None:
            self._reader.close()
            self._reader = None

    async def stop(self) -> None:
        """Stop the watchers; mail being ingested is rolled back and fetched again later."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class MailboxRunner:
    """Watches one mailbox: the singleton role `imap:<mailbox>` of `loket run`, so several
    workers watch every mailbox exactly once between them (issue 13)."""

    def __init__(self, channel: EmailRunner, config: MailboxConfig) -> None:
        self.channel, self.config = channel, config
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start watching; returns at once."""
        self._stop.clear()
        services = self.channel.services
        watcher = MailboxWatcher(self.config, ingestor_for(services), services.settings,
                                 services.clock, self.channel.shared_reader())  # fmt: skip
        self._task = asyncio.create_task(watcher.run(self._stop))

    async def stop(self) -> None:
        """Stop watching; mail being ingested is rolled back and fetched again later."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.channel.release_reader()


async def mailbox_roles(runner: EmailRunner) -> list[tuple[str, MailboxRunner]]:
    """(role name, runner) per configured mailbox, read once when `loket run` starts."""
    async with runner.services.db.session() as session:
        configs = await configured_mailboxes(session, runner.services.settings)
    return [(f"imap:{c.name}", MailboxRunner(runner, c)) for c in configs]


def build(services: Services) -> ChannelParts | None:
    """The email channel's parts, or None when neither IMAP_HOST nor SMTP_HOST is set."""
    from bot.ports import ChannelParts  # its HTTP routes' types: not for `loket mail poll`

    settings = services.settings
    if not settings.imap_host and not settings.smtp_host:
        return None
    sender = (
        EmailSender(settings, services.clock, services.db, services.blobs)
        if settings.smtp_host
        else None
    )
    return ChannelParts(runner=EmailRunner(services), sender=sender)
