"""An officer answers a requester by replying (Telegram reply) to a case card or a relayed
message: the text and any file go to the requester on their own channel, through the outbox."""

from __future__ import annotations

from bot.desk import FileData
from bot.i18n import t
from channels.telegram import files
from channels.telegram.turn import NotMine, Turn, handler


@handler
async def on_reply(turn: Turn) -> None:
    """A reply to a message linked to a case, from an officer (or anyone in a group chat,
    who is then refused politely and audited)."""
    message = turn.message
    if message is None or message.reply_to_message is None:
        raise NotMine
    case_id = await turn.loket.state.case_of(turn.chat_id, message.reply_to_message.message_id)
    if case_id is None:
        raise NotMine
    officer = await turn.loket.desk.officer(turn.user_id)
    if officer is None and turn.private:
        raise NotMine  # a citizen answering in their own chat: the inbox takes it
    got = await files.download(message, turn.services)
    attached = [FileData(got[0].filename, got[0].content_type, got[1])] if got else []
    reference = await turn.loket.desk.reply(
        turn.user_id,
        case_id,
        message.text or message.caption or "",
        attached,
        f"tg:{turn.chat_id}:{message.message_id}",
    )
    lang = officer.language if officer else await turn.language()
    await turn.say(
        t("tg.desk.reply_queued", lang, reference=reference), reply_to=message.message_id
    )
