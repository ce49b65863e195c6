"""The email channel: IMAP intake (IDLE or polling) and the SMTP sender of the outbox."""

from __future__ import annotations

import asyncio
import logging

from bot.ports import ChannelParts
from bot.services import Services
from channels.email.ingest import MailIngestor
from channels.email.mailboxes import configured_mailboxes
from channels.email.poller import MailboxWatcher, reader_pool
from channels.email.sender import EmailSender
from channels.email.worker import MailReaderPool

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

    async def start(self) -> None:
        """Start one watcher task per mailbox; returns at once."""
        self._stop.clear()
        self._reader = reader_pool(self.services.settings)
        for watcher in await watchers(self.services, self._reader):
            self._tasks.append(asyncio.create_task(watcher.run(self._stop)))
        log.info("email: watching %d mailbox(es)", len(self._tasks))

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


def build(services: Services) -> ChannelParts | None:
    """The email channel's parts, or None when neither IMAP_HOST nor SMTP_HOST is set."""
    settings = services.settings
    if not settings.imap_host and not settings.smtp_host:
        return None
    sender = (
        EmailSender(settings, services.clock, services.db, services.blobs)
        if settings.smtp_host
        else None
    )
    return ChannelParts(runner=EmailRunner(services), sender=sender)
