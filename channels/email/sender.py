"""The email Sender (bot/notify/delivery.py contract): one outbox row, one mail via aiosmtplib.

Each mail carries our own Message-ID, derived from the row's dedup key, so a retry after an
unclear failure repeats the same Message-ID and the recipient's mail client shows one mail.
The Reply-To is the case's signed address (channels.email.threads), In-Reply-To/References thread
it under the mail it answers, and machine-written mail says so (RFC 3834 Auto-Submitted, and
X-Auto-Response-Suppress so Exchange does not send out-of-office replies back to us).

Errors: a 5xx about the recipient or the message is permanent (the contact is marked failing);
4xx answers and network trouble are temporary. A refused login or sender address is our own
misconfiguration, never the citizen's address, so it is temporary and logged as an error.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from bot.clock import Clock
from bot.notify.delivery import PermanentFailure, TemporaryFailure
from bot.notify.outgoing_files import OutgoingFile, outgoing_files_of
from bot.settings import Settings
from channels.email.errors import SmtpUnavailable
from channels.email.imap import tls_context
from channels.email.threads import reply_address
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


def message_id_for(message: OutboxMessage, settings: Settings) -> str:
    """The Message-ID of an outbox row (without brackets): stable across retries, and keyed
    with REPLY_SECRET, because a reply quoting it is trusted to belong to the row's case."""
    secret = settings.reply_secret.get_secret_value().encode()
    digest = hmac.new(secret, message.dedup_key.encode(), hashlib.sha256).hexdigest()[:32]
    return f"loket.{digest}@{settings.mail_from.rpartition('@')[2] or 'localhost'}"


def _failure(code: int, reason: str) -> PermanentFailure | TemporaryFailure:
    return PermanentFailure(reason) if code >= 500 else TemporaryFailure(reason)


class EmailSender:
    """Delivers email outbox rows through the SMTP_* server."""

    channel = Channel.EMAIL.value

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        db: Database | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.settings, self.clock, self.db, self.blobs = settings, clock, db, blobs

    async def _files(self, message: OutboxMessage) -> list[OutgoingFile]:
        payload = message.payload or {}
        if not payload.get("attachments") and not payload.get("letters"):
            return []
        if self.db is None or self.blobs is None:
            raise PermanentFailure("this email sender was built without the attachment store")
        return await outgoing_files_of(self.db, self.blobs, self.settings, message)

    def compose(
        self, message: OutboxMessage, files: list[OutgoingFile] | tuple[()] = ()
    ) -> EmailMessage:
        """The mail for one outbox row with `files` attached, headers per the module docstring."""
        s = self.settings
        payload = message.payload or {}
        mail = EmailMessage()
        mail["From"] = formataddr((s.body_name, s.mail_from))
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or s.body_name
        mail["Date"] = format_datetime(self.clock.now())
        mail["Message-ID"] = f"<{message_id_for(message, s)}>"
        secret = s.reply_secret.get_secret_value()
        if payload.get("reply_token_case") and secret:
            mail["Reply-To"] = reply_address(s.mail_from, payload["reply_token_case"], secret)
        if payload.get("in_reply_to"):
            mail["In-Reply-To"] = f"<{payload['in_reply_to']}>"
            mail["References"] = f"<{payload['in_reply_to']}>"
        if payload.get("auto_submitted"):
            # RFC 3834 §5: auto-replied answers a message; auto-generated is everything else.
            mail["Auto-Submitted"] = (
                "auto-replied" if payload.get("in_reply_to") else "auto-generated"
            )
            mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(message.body)
        for file in files:
            maintype, _, subtype = file.content_type.partition("/")
            mail.add_attachment(
                file.data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=file.filename,
            )
        return mail

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
        mail = self.compose(message, await self._files(message))
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
