"""The Telegram Sender: delivers outbox rows (bot/notify/delivery.py contract) through the Bot API.

Each row is rendered by channels/telegram/render.py (chunks, inline buttons, documents) and
the parts are sent in order. Every message sent for a case is linked to it, so a Telegram
reply to it reaches that case. The row itself is claimed and marked by the dispatcher only;
`dispatch_now` asks the dispatcher this sender was registered with to send a row at once.

Errors map onto the outbox contract: 429 -> TemporaryFailure(retry_after), 403/400 ->
PermanentFailure, network trouble -> TemporaryFailure.

A handler's own answers (`reply`) are outbox rows too (purpose CHAT_REPLY, the Bot API's text,
keyboard and reply-to kept as they are in the payload): the row is committed with the
update's state and its `done` (channels/telegram/writes.py), never waiting on a rate limit;
then the dispatcher sends the chat's proof of request and replies in order right away
(`dispatch_soon`). A handler run again after a crash queues the same keys, so its answers are
not doubled.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Bot, ForceReply, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.error import TelegramError

from bot.notify.delivery import DispatchNow
from bot.notify.outbox import outbox_row, queue_rows
from bot.notify.purposes import Purpose
from bot.services import Services
from channels.telegram.errors import delivery_failure
from channels.telegram.render import TelegramPart, TelegramRenderer
from channels.telegram.state import ChannelState
from channels.telegram.writes import UPDATE_WRITES, QueuedAnswer, UpdateWrites
from store.db import with_priority
from store.enums import Channel
from store.models import OutboxMessage

log = logging.getLogger(__name__)

REPLY = "telegram_reply"  # the payload key of a handler's own answer
Markup = InlineKeyboardMarkup | ForceReply
# What the chat is owed at once: the proof of request and the handlers' answers, in order.
IMMEDIATE = (Purpose.ACKNOWLEDGEMENT.value, Purpose.CHAT_REPLY.value)


class TelegramSender:
    """Delivers outbox rows of the `telegram` channel."""

    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot, services: Services, state: ChannelState) -> None:
        self.bot, self.services, self.state = bot, services, state
        self.renderer = TelegramRenderer(services)
        self._dispatch: DispatchNow | None = None

    def bind_dispatch(self, dispatch: DispatchNow) -> None:
        """Remember the dispatcher that delivers this channel's rows (called by it)."""
        self._dispatch = dispatch

    @property
    def dispatches(self) -> bool:
        """Whether a dispatcher runs in this process (rows are then sent at once when asked)."""
        return self._dispatch is not None

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Have the dispatcher send the due rows of `case_id` with `purpose` now; False when
        none was sent (no dispatcher runs in this process, or it failed and will retry)."""
        if self._dispatch is None:
            return False
        return await self._dispatch.dispatch_now(case_id=case_id, purpose=purpose)

    async def reply(
        self,
        dedup_key: str,
        chat_id: int,
        text: str,
        markup: Markup | None = None,
        *,
        reply_to: int | None = None,
        case_id: int | None = None,
    ) -> Awaitable[Any] | None:
        """Queue a handler's answer and have it sent soon, in order behind what the chat is
        owed; the sent message is linked to `case_id`. While an update is handled the answer
        is committed with the update's state and its `done` (channels/telegram/writes.py),
        and None is returned; otherwise it is committed before this returns, and the delivery
        task to await when a later direct send must follow it is returned (None: no
        dispatcher runs here, and the row waits for the next drain)."""
        answer = {
            "text": text,
            "markup": markup.to_dict() if markup is not None else None,
            "reply_to": reply_to,
            "case_id": case_id,
        }
        queued = QueuedAnswer(dedup_key, chat_id, text, {REPLY: answer})
        held = UPDATE_WRITES.get()
        if held is not None:  # committed with the update's state and its `done`, then sent
            held.answers.append(queued)
            return None
        async with self.services.db.transaction() as session:
            await self.queue_answers(session, [queued])
        return self.wake([queued])

    async def commit(self, held: UpdateWrites) -> Awaitable[Any] | None:
        """Commit what an update in hand holds so far (its draft rows and answers) in one
        transaction, then have the answers sent soon; returns the delivery of the last
        answer's chat (None: no answer, or no dispatcher here). A handled update's writes,
        with its `done`, are committed by channels/telegram/commits.py."""
        if held:
            async with self.services.db.transaction() as session:
                await self.state.write_drafts(session, list(held.drafts.values()))
                await self.queue_answers(session, held.answers)
        return self.wake(held.answers)

    async def queue_answers(self, session: AsyncSession, answers: Sequence[QueuedAnswer]) -> None:
        """Queue the answers, in order, as CHAT_REPLY outbox rows in `session`'s transaction,
        in one statement (a key queued before is not queued again)."""
        now = self.services.clock.now()
        rows = [
            outbox_row(
                dedup_key=queued.dedup_key,
                channel=self.channel,
                recipient=str(queued.chat_id),
                purpose=Purpose.CHAT_REPLY.value,
                body=queued.text,
                now=now,
                subject=None,
                case_id=None,
                payload=queued.payload,
                not_before=None,
            )
            for queued in answers
        ]
        await queue_rows(session, rows)

    def wake(self, answers: Sequence[QueuedAnswer]) -> Awaitable[Any] | None:
        """Have the committed `answers` sent soon, each chat's in order; the delivery of the
        last one's chat (None: no dispatcher runs here, the rows wait for the next drain)."""
        delivery: Awaitable[Any] | None = None
        for chat_id in dict.fromkeys(a.chat_id for a in answers):
            delivery = self.soon(chat_id, (Purpose.CHAT_REPLY.value,))
        return delivery

    def soon(self, chat_id: int, purposes: Sequence[str] = IMMEDIATE) -> Awaitable[Any] | None:
        """Have the dispatcher send `chat_id`'s rows of `purposes` (by default what a chat is
        owed at once: IMMEDIATE) in the background, in order; the delivery to await if wanted,
        or None when no dispatcher runs in this process."""
        if self._dispatch is None:
            return None
        # The delivery is background work on SQLite's writer, even when a handler asks for it
        # (store/db.py, `with_priority`): the handlers' own transactions go first.
        soon = self._dispatch.dispatch_soon
        return with_priority(False).run(soon, self.channel, str(chat_id), purposes)

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver one row; return the Telegram message id of its (first) message."""
        if REPLY in message.payload:
            return await self._send_reply(message)
        rendering = await self.renderer.render(message)
        try:
            sent = [await self._send_part(rendering.chat_id, part) for part in rendering.parts]
        except TelegramError as exc:
            raise delivery_failure(exc) from exc
        if rendering.case_id is not None:
            now = self.services.clock.now()
            for m in sent:
                await self.state.link(rendering.chat_id, m.message_id, rendering.case_id, now)
        return str(sent[0].message_id)

    async def _send_part(self, chat_id: int, part: TelegramPart) -> Message:
        if part.document is not None:
            doc = InputFile(part.document.data, filename=part.document.filename)
            return await self.bot.send_document(
                chat_id,
                doc,
                caption=part.text,
                reply_markup=part.markup,
                reply_parameters=part.reply,
            )
        return await self.bot.send_message(
            chat_id, part.text or "", reply_markup=part.markup, reply_parameters=part.reply
        )

    async def _send_reply(self, message: OutboxMessage) -> str:
        answer = message.payload[REPLY]
        chat_id = int(message.recipient)
        data = answer.get("markup")
        markup: Markup | None = None
        if data and "inline_keyboard" in data:
            markup = InlineKeyboardMarkup.de_json(data, self.bot)
        elif data:
            markup = ForceReply.de_json(data, self.bot)
        reply_to = answer.get("reply_to")
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            sent = await self.bot.send_message(
                chat_id, answer["text"], reply_markup=markup, reply_parameters=reply
            )
        except TelegramError as exc:
            raise delivery_failure(exc) from exc
        if answer.get("case_id") is not None:
            now = self.services.clock.now()
            await self.state.link(chat_id, sent.message_id, answer["case_id"], now)
        return str(sent.message_id)
