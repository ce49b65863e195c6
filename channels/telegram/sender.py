"""The Telegram Sender: delivers outbox rows (bot/notify/delivery.py contract) through the Bot API.

A row's `payload["actions"]` become inline buttons, `payload["attachments"]` (SHA-256 of
stored files) are sent from the blob store, `payload["letters"]` as rendered PDF documents,
and `payload["reply_to"]` threads the message.
A "survey_invitation" row also opens the satisfaction survey's first question. Every message
sent for a case is linked to it, so a Telegram reply to it reaches that case.

Errors map onto the outbox contract: 429 -> TemporaryFailure(retry_after), 403/400 ->
PermanentFailure, network trouble -> TemporaryFailure.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.error import TelegramError

from bot.i18n import t
from bot.notify.delivery import PermanentFailure, TemporaryFailure
from bot.notify.outgoing_files import outgoing_files_of
from bot.privacy.masking import redact
from bot.services import Services
from bot.workflow.complaint_rating import RATING_PURPOSE
from bot.workflow.survey import SURVEY_ELEMENTS, element_label
from channels.telegram import keyboards
from channels.telegram.errors import delivery_failure
from channels.telegram.state import ChannelState
from store.enums import Channel, OutboxStatus
from store.models import Case, OutboxMessage

log = logging.getLogger(__name__)

SURVEY_PURPOSE = "survey_invitation"
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096  # characters per Telegram message


def chunks(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text]


def survey_question(case: Case, element: int) -> tuple[str, InlineKeyboardMarkup]:
    """The text and 1-4 buttons of survey element `element` (1-based) for `case`."""
    lang = case.language
    text = t(
        "tg.survey.question",
        lang,
        n=element,
        total=len(SURVEY_ELEMENTS),
        label=element_label(element, lang),
        reference=case.reference,
    )
    return text, keyboards.survey(case.id, element, lang)  # type: ignore[arg-type]


class TelegramSender:
    """Delivers outbox rows of the `telegram` channel."""

    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot, services: Services, state: ChannelState) -> None:
        self.bot, self.services, self.state = bot, services, state

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver one row; return the Telegram message id of its (first) message."""
        payload: dict[str, Any] = message.payload or {}
        case_id = payload.get("case_id") or message.case_id
        try:
            chat_id = int(message.recipient)
        except ValueError:
            raise PermanentFailure(f"not a Telegram chat id: {message.recipient!r}") from None
        case = await self._case(case_id)
        markup = None
        if message.purpose == RATING_PURPOSE and case is not None:
            markup = keyboards.rating(case.id, case.language)  # type: ignore[arg-type]
        if payload.get("actions") and case is not None:
            language = self.services.settings.language
            markup = keyboards.desk_actions(case.id, payload["actions"], language)  # type: ignore[arg-type]
        try:
            sent = await self._deliver(chat_id, message, payload, markup)
            if message.purpose == SURVEY_PURPOSE and case is not None:
                text, survey_markup = survey_question(case, 1)
                sent.append(await self.bot.send_message(chat_id, text, reply_markup=survey_markup))
        except TelegramError as exc:
            raise delivery_failure(exc) from exc
        if case is not None:
            for m in sent:
                await self.state.link(chat_id, m.message_id, case.id, self.services.clock.now())  # type: ignore[arg-type]
        return str(sent[0].message_id)

    async def _case(self, case_id: int | None) -> Case | None:
        if not case_id:
            return None
        async with self.services.db.session() as session:
            return await session.get(Case, int(case_id))

    async def _deliver(
        self,
        chat_id: int,
        message: OutboxMessage,
        payload: dict[str, Any],
        markup: InlineKeyboardMarkup | None,
    ) -> list[Message]:
        reply_to = payload.get("reply_to")
        reply = (
            ReplyParameters(int(reply_to), allow_sending_without_reply=True) if reply_to else None
        )
        files = await outgoing_files_of(
            self.services.db, self.services.blobs, self.services.settings, message
        )
        if len(files) == 1 and len(message.body) <= CAPTION_LIMIT:
            doc = InputFile(files[0].data, filename=files[0].filename)
            return [
                await self.bot.send_document(
                    chat_id, doc, caption=message.body, reply_markup=markup, reply_parameters=reply
                )
            ]
        parts = chunks(message.body)
        sent = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            sent.append(
                await self.bot.send_message(
                    chat_id,
                    part,
                    reply_markup=markup if last else None,
                    reply_parameters=reply if i == 0 else None,
                )
            )
        for file in files:
            doc = InputFile(file.data, filename=file.filename)
            sent.append(await self.bot.send_document(chat_id, doc))
        return sent

    async def deliver_now(self, *, case_id: int, purpose: str) -> bool:
        """Send a just-queued row of `case_id` with `purpose` now, not at the next dispatch.

        Claims the row as the dispatcher does (pending -> sending with a lease, one more
        attempt), so the two never both send it; on success it is marked sent, on failure it
        goes back to pending for the dispatcher to retry. Returns True if it was sent here.
        """
        now = self.services.clock.now()
        lease = now + dt.timedelta(seconds=self.services.settings.outbox_lease_seconds)
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        async with self.services.db.transaction() as session:
            stmt = select(OutboxMessage).where(
                OutboxMessage.case_id == case_id,
                OutboxMessage.purpose == purpose,
                OutboxMessage.channel == self.channel,
                OutboxMessage.status == OutboxStatus.PENDING.value,
                # A row held back (e.g. by the quiet hours) stays with the dispatcher.
                col(OutboxMessage.not_before) <= now,
            )
            row = (await session.exec(stmt)).first()
            if row is None:
                return False
            claim = (
                update(table)
                .where(table.c.id == row.id, table.c.status == OutboxStatus.PENDING.value)
                .values(
                    status=OutboxStatus.SENDING.value,
                    not_before=lease,
                    attempts=table.c.attempts + 1,
                )
            )
            if not (await (await session.connection()).execute(claim)).rowcount:
                return False
        try:
            external_id = await self.send(row)
        except (TemporaryFailure, PermanentFailure) as exc:
            log.warning(
                "immediate delivery of outbox row %s failed, left to the dispatcher: %s",
                row.id,
                redact(exc.reason),
            )
            await self._finish(
                row.id,
                {
                    "status": OutboxStatus.PENDING.value,
                    "not_before": now,
                    "last_error": redact(exc.reason)[:1000],
                },
            )
            return False
        await self._finish(
            row.id,
            {
                "status": OutboxStatus.SENT.value,
                "sent_at": now,
                "external_id": external_id,
                "last_error": None,
            },
        )
        return True

    async def _finish(self, row_id: int | None, values: dict[str, Any]) -> None:
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        async with self.services.db.transaction() as session:
            stmt = update(table).where(table.c.id == row_id).values(**values)
            await (await session.connection()).execute(stmt)
