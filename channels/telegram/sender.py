"""The Telegram Sender: delivers outbox rows (bot/notify/delivery.py contract) through the Bot API.

Each row is rendered by channels/telegram/render.py (chunks, inline buttons, documents) and
the parts are sent in order. Every message sent for a case is linked to it, so a Telegram
reply to it reaches that case. The row itself is claimed and marked by the dispatcher only;
`dispatch_now` asks the dispatcher this sender was registered with to send a row at once.

Errors map onto the outbox contract: 429 -> TemporaryFailure(retry_after), 403/400 ->
PermanentFailure, network trouble -> TemporaryFailure.
"""

from __future__ import annotations

import logging

from telegram import Bot, InputFile, Message
from telegram.error import TelegramError

from bot.notify.delivery import DispatchNow
from bot.services import Services
from channels.telegram.errors import delivery_failure
from channels.telegram.render import TelegramPart, TelegramRenderer
from channels.telegram.state import ChannelState
from store.enums import Channel
from store.models import OutboxMessage

log = logging.getLogger(__name__)


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

    async def dispatch_now(self, *, case_id: int, purpose: str) -> bool:
        """Have the dispatcher send the due rows of `case_id` with `purpose` now; False when
        none was sent (no dispatcher runs in this process, or it failed and will retry)."""
        if self._dispatch is None:
            return False
        return await self._dispatch.dispatch_now(case_id=case_id, purpose=purpose)

    async def send(self, message: OutboxMessage) -> str | None:
        """Deliver one row; return the Telegram message id of its (first) message."""
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
