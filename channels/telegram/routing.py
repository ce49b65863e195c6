"""Which inbox lane a raw Telegram update goes to (its chat: one chat's updates in order) and
which chat message it carries (a message sent again under a new update id is not stored twice).

Read straight from the JSON for what citizens and officers send (a message, an edited message,
a button tap on a message), as python-telegram-bot's `Update.effective_chat` and
`Update.message` would answer for them; every other kind of update is parsed by PTB and routed
by its answer. Parsing every update of a getUpdates batch only to route it took ~0.5 ms an
update on the event loop, 50 ms for a batch of 100 in one go (docs/benchmarks.md, `tgfast`).
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.intake.inbox import Inbound

CHANNEL = "telegram"
# Kinds of update whose object holds the chat itself ("chat") and nothing else decides it.
MESSAGE_KINDS = ("message", "edited_message")


def _chat_and_key(data: dict[str, Any]) -> tuple[int, str | None] | None:
    """The chat id and message key of a message or a tap on a message; None: ask PTB."""
    kinds = [k for k in data if k != "update_id"]
    if len(kinds) != 1:
        return None
    kind, body = kinds[0], data[kinds[0]]
    if not isinstance(body, dict):
        return None
    holder = body if kind in MESSAGE_KINDS else None
    if kind == "callback_query" and isinstance(body.get("message"), dict):
        holder = body["message"]
    chat = holder.get("chat") if holder is not None else None
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        return None
    message_id = body.get("message_id")
    if kind == "message" and isinstance(message_id, int):
        return chat["id"], f"{chat['id']}:{message_id}"
    return chat["id"], None


def person_of(data: dict[str, Any]) -> tuple[int, int] | None:
    """The (chat id, user id) whose conversation a message or a tap on a message is in, read
    from the JSON as PTB's `effective_chat` and `effective_user` give them; None otherwise."""
    found = _chat_and_key(data)
    kind = next((k for k in data if k != "update_id"), None)
    sender = data[kind].get("from") if found is not None and kind is not None else None
    if found is None or not isinstance(sender, dict) or not isinstance(sender.get("id"), int):
        return None
    return found[0], sender["id"]


def to_inbound(data: dict[str, Any], update: Update | None = None) -> Inbound:
    """The inbox item of one raw update: keyed by its update id, in the lane of its chat (else
    of its user, else its own); `update` is the parsed update if the caller has it."""
    update_id = int(data["update_id"])
    fast = _chat_and_key(data) if update is None else None
    if fast is not None:
        chat_id, key = fast
        return Inbound(CHANNEL, str(update_id), f"chat:{chat_id}", update_id, data, key)
    if update is None:
        update = Update.de_json(data, None)
    if update.effective_chat is not None:
        lane = f"chat:{update.effective_chat.id}"
    elif update.effective_user is not None:
        lane = f"user:{update.effective_user.id}"
    else:
        lane = f"update:{update.update_id}"
    message = update.message
    key = f"{message.chat_id}:{message.message_id}" if message is not None else None
    return Inbound(CHANNEL, str(update.update_id), lane, update.update_id, data, key)
