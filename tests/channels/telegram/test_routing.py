"""Routing a raw update to its inbox lane: read from the JSON for messages and button taps, the
same answer as python-telegram-bot's (`effective_chat`, `effective_user`, `message`) for every
kind of update."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from channels.telegram.routing import to_inbound

USER = {"id": 42, "is_bot": False, "first_name": "Siti", "language_code": "id"}
CHAT = {"id": 42, "type": "private", "first_name": "Siti"}
GROUP = {"id": -1009, "type": "supergroup", "title": "Meja PPID"}
MESSAGE = {"message_id": 7, "date": 0, "chat": CHAT, "from": USER, "text": "/start",
           "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}  # fmt: skip
MEMBER = {"user": USER, "status": "member"}

UPDATES: dict[str, dict[str, Any]] = {
    "message": {"message": MESSAGE},
    "group message": {"message": {**MESSAGE, "chat": GROUP}},
    "edited message": {"edited_message": {**MESSAGE, "edit_date": 1}},
    "tap on a message": {"callback_query": {
        "id": "q1", "from": USER, "chat_instance": "c", "data": "m:1", "message": MESSAGE}},
    "tap on an inline message": {"callback_query": {
        "id": "q2", "from": USER, "chat_instance": "c", "data": "m:1", "inline_message_id": "i"}},
    "channel post": {"channel_post": {**MESSAGE, "chat": {"id": -1005, "type": "channel"}}},
    "inline query": {"inline_query": {"id": "iq", "from": USER, "query": "x", "offset": ""}},
    "bot added to a group": {"my_chat_member": {
        "chat": GROUP, "from": USER, "date": 0,
        "old_chat_member": {**MEMBER, "status": "left"}, "new_chat_member": MEMBER}},
    "poll answer": {"poll_answer": {
        "poll_id": "p", "option_ids": [0], "option_persistent_ids": ["a"], "user": USER}},
    "unknown kind": {"future_update": {"chat": CHAT}},
}  # fmt: skip


@pytest.mark.parametrize("kind", list(UPDATES))
def test_an_update_goes_to_the_lane_ptb_names(kind: str) -> None:
    data = {"update_id": 500, **UPDATES[kind]}
    read = to_inbound(data)
    parsed = to_inbound(data, Update.de_json(data, None))
    assert (read.lane, read.message_key, read.external_id, read.position) == (
        parsed.lane, parsed.message_key, parsed.external_id, parsed.position)  # fmt: skip
    assert read.payload is data  # stored as Telegram sent it


def test_a_message_and_a_tap_are_keyed_by_their_chat() -> None:
    message = to_inbound({"update_id": 1, **UPDATES["message"]})
    tap = to_inbound({"update_id": 2, **UPDATES["tap on a message"]})
    assert (message.lane, message.message_key) == ("chat:42", "42:7")
    assert (tap.lane, tap.message_key) == ("chat:42", None)
