"""The email Sender (bot/notify/delivery.py contract): one outbox row, one mail via aiosmtplib.

The mail is built by the email renderer (channels/email/render.py: Message-ID, Reply-To,
threading, Auto-Submitted, attachments); this module only transmits it.

Errors: a 5xx about the recipient or the message is permanent (the contact is marked failing);
4xx answers and network trouble are temporary. A refused login or sender address is our own
misconfiguration, never the citizen's address, so it is temporary and logged as an error.
"""

from __future__ import annotations

import logging

import aiosmtplib

from bot.clock import Clock
from bot.notify.delivery import PermanentFailure, TemporaryFailure
from bot.settings import Settings
from channels.email.errors import SmtpUnavailable
from channels.email.imap import tls_context
from channels.email.render import EmailRenderer, message_id_for
from store.blobs import BlobStore
from store.db import Database
from store.enums import Channel
from store.models import OutboxMessage

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 60.0
_CONFIGURATION_ERRORS = (
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPSenderRefused,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPConnectResponseError,
    aiosmtplib.SMTPNotSupported,
)


def _failure(code: int, reason: str) -> PermanentFailure | TemporaryFailure:
    return PermanentFailure(reason) if code >= 500 else TemporaryFailure(reason)


class EmailSender:
    """Delivers email outbox rows through the SMTP_* server."""

    channel = Channel.EMAIL.value
    # One mail at a time, sent and marked before the next (scheduler/dispatch.py): a mail
    # server takes few connections of one client anyway, and a kill repeats at most one mail.
    sends_at_once = 1

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        db: Database | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.settings = settings
        self.renderer = EmailRenderer(settings, clock, db, blobs)

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password.get_secret_value() or None,
            use_tls=s.smtp_security == "ssl",
            start_tls=s.smtp_security == "starttls",
            tls_context=tls_context(s.mail_ca_file) if s.smtp_security != "none" else None,
            timeout=SMTP_TIMEOUT_SECONDS,
        )

    async def check(self) -> None:
        """Connect, secure and log in as a send would; raise SmtpUnavailable if that fails."""
        client = self._client()
        try:
            await client.connect()
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SmtpUnavailable("smtp", f"{type(exc).__name__}: {exc}"[:200]) from None

    async def send(self, message: OutboxMessage) -> str:
        """Send one row; return its Message-ID. Raises Permanent/TemporaryFailure."""
        s = self.settings
        mail = await self.renderer.render(message)
        client = self._client()
        try:
            async with client:
                await client.send_message(mail, sender=s.mail_from, recipients=[message.recipient])
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise _failure(min(codes, default=450), f"recipient refused: {codes}") from None
        except _CONFIGURATION_ERRORS as exc:
            log.error("SMTP server refused our configuration: %s", type(exc).__name__)
            raise TemporaryFailure(f"smtp configuration: {exc}") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise _failure(exc.code, f"smtp {exc.code}: {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"smtp unreachable: {type(exc).__name__}") from None
        return message_id_for(message, s)
