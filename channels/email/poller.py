"""Reading one mailbox: fetch everything new, hand it to the core, then wait and repeat.

Per message the order is fixed: fetch (BODY.PEEK, nothing flagged) -> ingest (one committed
transaction) -> flag \\Seen or move. A crash between any two steps is repaired by the next
run (bot/mail_ingest.py explains why). Waiting uses IDLE where the server offers it (mail is
taken within a second of arrival) and plain polling otherwise; either way the mailbox is read
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
from bot.mail_ingest import IngestOutcome, MailIngestor
from bot.mail_message import IncomingMail, MailKind, MailLocation
from bot.mailboxes import MailboxConfig
from bot.privacy import redact
from bot.settings import Settings
from channels.email.classify import classify
from channels.email.errors import MailboxError
from channels.email.imap import IDLE_RENEW_SECONDS, FetchedMail, ImapSession
from channels.email.parse import parse_mail

log = logging.getLogger(__name__)

RECONNECT_BACKOFF_SECONDS = 10.0
RECONNECT_BACKOFF_MAX_SECONDS = 300.0


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


def build_incoming(
    fetched: FetchedMail, location: MailLocation, config: MailboxConfig, now: dt.datetime
) -> IncomingMail:
    """Parse and classify fetched bytes; a mail that cannot be parsed goes to review."""
    # The server's arrival time is the receipt time (UU KIP counts from receipt), unless the
    # clock says otherwise (a server clock ahead of ours).
    received_at = min(fetched.internaldate or now, now)
    common = {
        "location": location,
        "raw": fetched.raw,
        "received_at": received_at,
        "new_case_kind": config.case_kind,
        "unit_id": config.unit_id,
    }
    try:
        parsed = parse_mail(fetched.raw)
        verdict = classify(parsed.message)
    except Exception as exc:  # a mail we cannot read is kept for a person to look at
        log.error("could not parse email %s: %s", location, describe(exc))
        return IncomingMail(kind=MailKind.HUMAN, **common)  # type: ignore[arg-type]
    return IncomingMail(
        kind=verdict.kind,
        message_id=parsed.message_id,
        sender=parsed.sender,
        sender_name=parsed.sender_name,
        recipients=parsed.recipients,
        subject=parsed.subject,
        text=parsed.text,
        quoted=parsed.quoted,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        attachments=parsed.attachments,
        no_reply=verdict.no_reply,
        failed_recipients=parsed.report.failed,
        bounce_permanent=parsed.report.permanent,
        bounce_reason=parsed.report.reason,
        reported_message_ids=parsed.report.message_ids,
        **common,  # type: ignore[arg-type]
    )


class MailboxWatcher:
    """Keeps one mailbox drained for as long as it runs."""

    def __init__(
        self, config: MailboxConfig, ingestor: MailIngestor, settings: Settings, clock: Clock
    ) -> None:
        self.config, self.ingestor, self.settings, self.clock = config, ingestor, settings, clock

    async def connect(self) -> ImapSession:
        """A connection to this mailbox (InvalidAuth / InvalidFolder / ConnectionFailed)."""
        return await ImapSession.connect(self.config, self.settings.mail_ca_file)

    async def poll_once(self, imap: ImapSession) -> PollSummary:
        """Ingest every new message of the mailbox once; return what happened."""
        summary = PollSummary(self.config.name)
        after = await self.ingestor.last_uid(self.config.name, imap.uidvalidity)
        for uid in await imap.new_uids(after, everything=bool(self.config.processed_folder)):
            location = MailLocation(self.config.name, imap.uidvalidity, uid)
            if await self.ingestor.is_recorded(location):
                summary.already_recorded += 1  # committed before a crash, not yet flagged
            else:
                fetched = await imap.fetch(uid)
                if fetched is None:
                    continue  # expunged meanwhile
                summary.fetched += 1
                crash_point("mail_fetched")
                incoming = build_incoming(fetched, location, self.config, self.clock.now())
                try:
                    summary.add(await self.ingestor.ingest(incoming))
                except (OperationalError, InterfaceError):
                    raise  # the database is away: stop this pass, retry after the back-off
                except Exception as exc:
                    # One mail the core cannot take must not hold up the ones after it; it
                    # stays unread and is tried again on the next pass.
                    log.error("email %s not ingested, left for the next pass: %s", location,
                              describe(exc))  # fmt: skip
                    summary.failed += 1
                    continue
                crash_point("mail_committed")
            await imap.mark_processed(uid)
            crash_point("mail_marked")
        return summary

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
