"""The last resort for unexpected errors (re-delivered updates are dropped by the receiver's
inbox before any handler, see channels/telegram/receiver.py)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.i18n import normalise_language, t
from channels.telegram.turn import BOT_DATA_KEY, Loket, say

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (personal data is masked by the log filter) and apologise once, in the
    language of the conversation; the update's lower handler groups are not run (each would
    fail or answer again: one update, at most one apology)."""
    log.error("handling update failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    await _apologise(update, context)  # never raises
    raise ApplicationHandlerStop


async def _apologise(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is None:
        return
    user = update.effective_user
    language = normalise_language(user.language_code if user else None)
    try:
        if user is not None:  # the language the person chose in this chat, if they did
            loket: Loket = context.application.bot_data[BOT_DATA_KEY]
            draft = await loket.state.draft(update.effective_chat.id, user.id, language)
            language = draft.language
        await say(context.bot, update.effective_chat.id, t("tg.error", language))
    except Exception:
        log.exception("could not tell the user about the failure")
