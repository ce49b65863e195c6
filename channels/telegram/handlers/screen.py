"""Updates the bot leaves alone on purpose, before any feature sees them.

The bot works with people: messages and edits from a sender, and taps on its own buttons.
Everything else Telegram may deliver is logged (its type only, never its content) and
dropped here, so no feature has to guess what a sender-less update means:

- channel posts and their edits (a channel has no sender to answer; the bot serves people);
- messages without a sender;
- membership changes (my_chat_member, chat_member, chat_join_request): who can reach whom is
  configured with `loket units set-chat`, not by adding the bot somewhere;
- inline queries and their results, polls and poll answers, reactions, boosts, payments:
  the bot offers none of these;
- business-account messages (business_connection, business_message, ...): a body's staff
  do not answer citizens through a personal business account;
- a button tap without its message (an inline-mode message, which the bot never sends) gets
  the short "button expired" answer, so the person's spinner stops;
- any update type newer than this code.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes

from bot.i18n import normalise_language, t

log = logging.getLogger(__name__)

# The kinds of update the features below handle (when they have a sender and a chat).
HANDLED = frozenset({"message", "edited_message", "callback_query"})
_KINDS = tuple(s for s in Update.__slots__ if not s.startswith("_") and s != "update_id")


def update_kind(update: Update) -> str:
    """The field the update carries (`message`, `channel_post`, ...), or "unknown"."""
    return next((kind for kind in _KINDS if getattr(update, kind, None) is not None), "unknown")


def left_alone(update: object) -> str | None:
    """Why the bot leaves `update` alone, or None when a feature is meant to handle it."""
    if not isinstance(update, Update):
        return "not a Telegram update"
    kind = update_kind(update)
    if kind not in HANDLED:
        return kind
    if update.effective_user is None or update.effective_chat is None:
        return f"{kind} without a sender or chat"
    if kind == "callback_query" and update.callback_query.message is None:  # type: ignore[union-attr]
        return "button without its message"
    return None


async def drop(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log why the update is left alone, stop a button's spinner, and stop there."""
    reason = left_alone(update)
    log.info("update %s left alone: %s", getattr(update, "update_id", "?"), reason)
    query = update.callback_query if isinstance(update, Update) else None
    if query is not None:
        language = normalise_language(query.from_user.language_code)
        try:
            await query.answer(t("tgsafe.expired", language))
        except TelegramError as exc:
            log.info("callback answer failed: %s", exc.message)
    raise ApplicationHandlerStop


class Screen(BaseHandler[Update, ContextTypes.DEFAULT_TYPE, None]):
    """Matches exactly the updates `left_alone` names a reason for."""

    def __init__(self) -> None:
        super().__init__(drop)

    def check_update(self, update: object) -> bool:
        """True for an update the bot leaves alone."""
        return left_alone(update) is not None
