"""The email renderer: an outbox row as a mail (bot/notify/delivery.py Renderer).

The neutral message (bot/notify/message.py) becomes: its subject and text, our own Message-ID
derived from the row's dedup key (so a retry after an unclear failure repeats it and the
recipient's mail client shows one mail), the case's signed address as Reply-To (so an answer
reaches the case, channels.email.threads), In-Reply-To/References threading it under the mail it
answers, RFC 3834 Auto-Submitted on machine-written mail (and X-Auto-Response-Suppress so
Exchange sends no out-of-office reply back), and its files and letters (PDF, rendered now) as
attachments. An invitation to answer says how to answer by mail: the survey's reply form, the
rating as a number on the first line of the reply. Rows queued before the neutral format keep
email's older payload shape (`in_reply_to`, `reply_token_case`, `auto_submitted`) and are read
by `legacy_message`.
"""

from __future__ import annotations

import hashlib
import hmac
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from bot.cases.attachments import FileData
from bot.clock import Clock
from bot.i18n import t
from bot.notify.delivery import PermanentFailure
from bot.notify.message import OutboundMessage, is_neutral, read_message
from bot.notify.outgoing_files import outgoing_files_of
from bot.notify.purposes import Purpose
from bot.settings import Settings
from bot.workflow.survey import reply_form
from channels.email.threads import reply_address
from store.blobs import BlobStore
from store.db import Database
from store.enums import Channel
from store.models import OutboxMessage


def message_id_for(message: OutboxMessage, settings: Settings) -> str:
    """The Message-ID of an outbox row (without brackets): stable across retries, and keyed
    with REPLY_SECRET, because a reply quoting it is trusted to belong to the row's case."""
    secret = settings.reply_secret.get_secret_value().encode()
    digest = hmac.new(secret, message.dedup_key.encode(), hashlib.sha256).hexdigest()[:32]
    return f"loket.{digest}@{settings.mail_from.rpartition('@')[2] or 'localhost'}"


def legacy_message(row: OutboxMessage) -> OutboundMessage:
    """A row in email's payload shape from before the neutral format, as a neutral message."""
    payload = row.payload or {}
    return OutboundMessage(
        text=row.body,
        language="id",  # unused here: the text is already written
        subject=row.subject,
        case_id=row.case_id,
        reply_case=payload.get("reply_token_case"),
        attachments=tuple(payload.get("attachments") or ()),
        letters=tuple(payload.get("letters") or ()),
        in_reply_to=payload.get("in_reply_to"),
        automatic=bool(payload.get("auto_submitted")),
    )


def neutral_message(row: OutboxMessage) -> OutboundMessage:
    """The neutral message of `row`, whichever format it was queued in."""
    return read_message(row) if is_neutral(row) else legacy_message(row)


def how_to_answer(purpose: str, language: str) -> str | None:
    """What a mail reader does to answer a message of `purpose`; None if nothing is asked."""
    if purpose == Purpose.SURVEY_INVITATION:
        return reply_form(language)
    if purpose == Purpose.RATING_REQUEST:
        return t("annual.rating.how_email", language)
    return None


def mail_text(message: OutboxMessage) -> str:
    """The mail's text: the message, then how to answer it by mail. A row queued before the
    neutral format already says how (it was written for email)."""
    if not is_neutral(message):
        return message.body
    how = how_to_answer(message.purpose, read_message(message).language)
    return message.body if how is None else f"{message.body}\n\n{how}"


class EmailRenderer:
    """Renders outbox rows of the `email` channel into mails."""

    channel = Channel.EMAIL.value

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        db: Database | None = None,
        blobs: BlobStore | None = None,
    ) -> None:
        self.settings, self.clock, self.db, self.blobs = settings, clock, db, blobs

    async def render(self, message: OutboxMessage) -> EmailMessage:
        """The mail for `message` with its files attached; PermanentFailure if one is gone."""
        return self.compose(message, await self.files(message))

    async def files(self, message: OutboxMessage) -> list[FileData]:
        """The stored files and rendered letters `message` carries."""
        neutral = neutral_message(message)
        if not neutral.attachments and not neutral.letters:
            return []
        if self.db is None or self.blobs is None:
            raise PermanentFailure("this email sender was built without the attachment store")
        return await outgoing_files_of(self.db, self.blobs, self.settings, message)

    def compose(
        self, message: OutboxMessage, files: list[FileData] | tuple[()] = ()
    ) -> EmailMessage:
        """The mail for one outbox row with `files` attached, headers per the module docstring."""
        s = self.settings
        neutral = neutral_message(message)
        mail = EmailMessage()
        mail["From"] = formataddr((s.body_name, s.mail_from))
        mail["To"] = message.recipient
        mail["Subject"] = message.subject or s.body_name
        mail["Date"] = format_datetime(self.clock.now())
        mail["Message-ID"] = f"<{message_id_for(message, s)}>"
        secret = s.reply_secret.get_secret_value()
        if neutral.reply_case and secret:
            mail["Reply-To"] = reply_address(s.mail_from, neutral.reply_case, secret)
        if neutral.in_reply_to:
            mail["In-Reply-To"] = f"<{neutral.in_reply_to}>"
            mail["References"] = f"<{neutral.in_reply_to}>"
        if neutral.automatic:
            # RFC 3834 §5: auto-replied answers a message; auto-generated is everything else.
            mail["Auto-Submitted"] = "auto-replied" if neutral.in_reply_to else "auto-generated"
            mail["X-Auto-Response-Suppress"] = "All"
        mail.set_content(mail_text(message))
        for file in files:
            maintype, _, subtype = file.content_type.partition("/")
            mail.add_attachment(
                file.data,
                maintype=maintype or "application",
                subtype=subtype or "octet-stream",
                filename=file.filename,
            )
        return mail
