"""What every handler shares: the channel's services, one update's "turn", friendly errors.

Handlers are written as `async def handle(turn: Turn) -> None` and wrapped with `@handler`,
which builds the Turn, decodes a button's callback data (an unknown or malformed one gets a
short "button expired" answer), answers a LoketError (the person's own mistake, or a refusal)
politely in their language, and stops lower handler groups once an update has been handled.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, RetryAfter
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.clock import local_date
from bot.desk.actions import Desk
from bot.desk.identities import ChannelIdentity
from bot.errors import LoketError
from bot.i18n import normalise_language, t
from bot.privacy.masking import redact
from bot.services import Services
from channels.telegram.errors import retry_after_seconds
from channels.telegram.keyboards import Button, StaleButton, decode
from channels.telegram.sender import TelegramSender
from channels.telegram.state import ChannelState, Draft
from channels.telegram.writes import UPDATE_WRITES, UpdateWrites
from store.enums import Channel

log = logging.getLogger(__name__)

R = TypeVar("R")
# What the core runs in its transaction for a channel (bot.intake.door.ChannelRecord's shape).
InCoreTransaction = Callable[[AsyncSession, R], Awaitable[None]]

BOT_DATA_KEY = "loket"
MAX_INLINE_WAIT = 10.0  # seconds a direct reply waits out a 429 before giving up
ALERT_CHARS = 200  # Telegram's limit for callback answers


@dataclass
class Loket:
    """The channel's shared parts, kept in `application.bot_data`."""

    services: Services
    state: ChannelState
    desk: Desk
    sender: TelegramSender


async def say(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | ForceReply | None = None,
    *,
    reply_to: int | None = None,
) -> Message:
    """Send a message now; a 429 is waited out once (up to MAX_INLINE_WAIT) and retried."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
    for attempt in (1, 2):
        try:
            return await bot.send_message(
                chat_id, text, reply_markup=markup, reply_parameters=reply
            )
        except RetryAfter as exc:
            if attempt == 2:
                raise
            await asyncio.sleep(min(retry_after_seconds(exc), MAX_INLINE_WAIT))
    raise AssertionError("unreachable")


@dataclass
class Turn:
    """One update being handled: who, where, their conversation state, how to answer."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    loket: Loket
    _draft: Draft | None = field(default=None, init=False)
    _button: Button | None = field(default=None, init=False)
    _answered: bool = field(default=False, init=False)
    _replies: int = field(default=0, init=False)
    _delivery: Awaitable[object] | None = field(default=None, init=False)

    @property
    def bot(self) -> Bot:
        """The bot."""
        return self.context.bot

    @property
    def services(self) -> Services:
        """The core services."""
        return self.loket.services

    @property
    def chat_id(self) -> int:
        """The chat the update happened in."""
        assert self.update.effective_chat is not None
        return self.update.effective_chat.id

    @property
    def user_id(self) -> int:
        """The person who sent or tapped."""
        assert self.update.effective_user is not None
        return self.update.effective_user.id

    @property
    def officer(self) -> ChannelIdentity:
        """The person who sent or tapped, as the desk finds officers: ("telegram", user id)."""
        return ChannelIdentity(Channel.TELEGRAM.value, str(self.user_id))

    @property
    def private(self) -> bool:
        """True in a one-to-one chat with the bot."""
        return (
            self.update.effective_chat is not None and self.update.effective_chat.type == "private"
        )

    @property
    def message(self) -> Message | None:
        """The message sent (None for a button tap)."""
        return self.update.message

    @property
    def query(self) -> CallbackQuery | None:
        """The button tap (None for a message)."""
        return self.update.callback_query

    @property
    def button(self) -> Button:
        """The tapped button's decoded callback data (StaleButton when it cannot be read)."""
        if self._button is None:
            self._button = decode(self.query.data if self.query is not None else None)
        return self._button

    @property
    def args(self) -> tuple[object, ...]:
        """The tapped button's checked arguments (after its prefix)."""
        return self.button.args

    def now(self) -> dt.datetime:
        """The current instant from the injectable clock."""
        return self.services.clock.now()

    def today(self) -> dt.date:
        """Today in the body's time zone."""
        return local_date(self.now(), self.services.settings.tz)

    async def draft(self) -> Draft:
        """This person's conversation in this chat (loaded once per update)."""
        if self._draft is None:
            user = self.update.effective_user
            guess = normalise_language(user.language_code if user else None)
            self._draft = await self.loket.state.draft(self.chat_id, self.user_id, guess)
        return self._draft

    async def language(self) -> str:
        """The language to answer in."""
        return (await self.draft()).language

    async def save(self) -> None:
        """Store the conversation."""
        await self.loket.state.save(await self.draft(), self.now())

    async def say(
        self,
        text: str,
        markup: InlineKeyboardMarkup | ForceReply | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        case_id: int | None = None,
    ) -> None:
        """Answer in this chat (or `chat_id`): an outbox row committed with the update's state
        and its `done` (channels/telegram/writes.py), sent soon in order by the dispatcher,
        the message linked to `case_id`; never waits for the send. Keyed by this update, so a
        handler run again does not answer twice."""
        self._replies += 1
        key = f"tg-reply:{self.update.update_id}:{self._replies}"
        delivery = await self.loket.sender.reply(
            key, chat_id or self.chat_id, text, markup, reply_to=reply_to, case_id=case_id
        )
        self._delivery = delivery or self._delivery

    async def delivered(self) -> None:
        """Commit what this update holds so far (its state and answers) and wait until the
        answers went out: before a direct send that must follow them (a document)."""
        held = UPDATE_WRITES.get()
        if held:
            self._delivery = await self.loket.sender.commit(held.take()) or self._delivery
        if self._delivery is not None:
            await self._delivery

    async def finishing(
        self,
        core: Callable[[InCoreTransaction[R]], Awaitable[R]],
        last: InCoreTransaction[R],
    ) -> R:
        """Run `core` (a call of the core given what to run in its transaction, e.g. intake's
        `record`) so that this update ends in the core's transaction: `last` (the handler's
        last steps: its answer, its state) runs there with what `core` did, and what the
        update holds then is written with its inbox row marked done. The case, its answer and
        the update's end are committed together (one turn of the store's writer, not two);
        when the core's transaction fails, the update holds what it held before. The answers
        and what the chat is owed at once (its proof of request) are sent once it committed.
        Only while the receiver handles an update (it sets what `finish_in` writes)."""
        held = UPDATE_WRITES.get()
        if held is None or held.finish_in is None:
            raise RuntimeError("Turn.finishing needs an update handled by the receiver")
        finish_in, replies = held.finish_in, self._replies
        written: list[UpdateWrites] = []

        async def in_core(session: AsyncSession, result: R) -> None:
            self._replies = replies  # run again after a conflict: the same answer keys
            mine = held.copy()
            token = UPDATE_WRITES.set(mine)
            try:
                await last(session, result)
            finally:
                UPDATE_WRITES.reset(token)
            await finish_in(session, mine)
            written[:] = [mine]

        result = await core(in_core)
        held.ended_by(written[0])
        self._delivery = self.loket.sender.soon(self.chat_id) or self._delivery
        self.loket.sender.wake([a for a in written[0].answers if a.chat_id != self.chat_id])
        return result

    async def ack(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the button tap (the spinner stops); an old query is not an error. Telegram
        takes one answer per tap: later calls do nothing."""
        if self.query is None or self._answered:
            return
        self._answered = True
        try:
            await self.query.answer(text[:ALERT_CHARS] if text else None, show_alert=alert)
        except BadRequest as exc:
            log.info("callback answer failed: %s", exc.message)

    async def edit(self, text: str | None, markup: InlineKeyboardMarkup | None = None) -> None:
        """Change the tapped message (text and buttons, or only the buttons when text is None)."""
        if self.query is None or self.query.message is None:
            return
        # By chat and message id: an old message comes as InaccessibleMessage, which PTB's
        # query shortcuts refuse to edit, yet the bot may still edit it.
        where = {"chat_id": self.query.message.chat.id, "message_id": self.query.message.message_id}
        try:
            if text is None:
                await self.bot.edit_message_reply_markup(reply_markup=markup, **where)
            else:
                await self.bot.edit_message_text(text, reply_markup=markup, **where)
        except BadRequest as exc:  # "message is not modified" and the like
            log.info("edit failed: %s", exc.message)

    async def fail(self, error: LoketError) -> None:
        """Tell the person what went wrong, in their language."""
        text = error.message(await self.language())
        if self.query is not None and not self._answered:
            await self.ack(text, alert=True)
        else:  # a message, or a tap already answered (its spinner stopped before the refusal)
            await self.say(text)


Handler = Callable[[Turn], Awaitable[None]]


def handler(fn: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
    """Wrap a Turn handler for python-telegram-bot.

    A LoketError (the person's own mistake, or a refusal) is answered politely; a button tap is
    answered exactly once (a handler may answer it early, else it is answered at the end); an
    update the handler dealt with stops the lower handler groups; a handler raises NotMine to
    leave the update to a lower group.
    """

    @functools.wraps(fn)
    async def wrapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        turn = Turn(update, context, context.application.bot_data[BOT_DATA_KEY])
        try:
            if turn.query is not None:
                turn.button  # noqa: B018 - decoded before the handler runs
            await fn(turn)
            await turn.ack()  # every tap is answered (a refusal is answered by its alert)
        except NotMine:
            return
        except StaleButton as exc:
            log.info("button expired: %s", redact(str(exc)))
            await turn.ack(t("tgsafe.expired", await turn.language()))
        except LoketError as exc:
            log.info("refused or invalid: %s", redact(str(exc)))
            await turn.fail(exc)
        raise ApplicationHandlerStop

    return wrapped


class NotMine(Exception):
    """Raised by a handler whose feature does not apply to this update."""
