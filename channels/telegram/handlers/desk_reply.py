"""An officer answers a requester by replying (Telegram reply) to a case card or a relayed
message: the text and any file go to the requester on their own channel, through the outbox.

Nothing leaves unseen (issue 14): the reply is first held and shown to the officer exactly as
the requester will read it, with "send", "keep as internal note" and "cancel" buttons. A reply
that starts with the internal marker (DESK_INTERNAL_MARKER, default `#catatan`), or one made
in the discussion under a card (a reply to someone's message in the card's thread rather than
to the card itself), is kept as an internal note on the case and never sent.
"""

from __future__ import annotations

from typing import Any

from bot.cases.attachments import FileData
from bot.desk import authz
from bot.errors import DomainError
from bot.i18n import t
from channels.telegram import files, keyboards
from channels.telegram.turn import NotMine, Turn, handler

PREVIEW_CHARS = 3500  # a Telegram message holds 4096 characters; the buttons' text is extra
SEND, NOTE, DROP = "s", "n", "x"


def internal_text(text: str, marker: str) -> str | None:
    """The note without its marker when `text` starts with `marker` (any case), else None."""
    stripped = text.lstrip()
    if stripped.lower().startswith(marker.lower()):
        return stripped[len(marker) :].strip()
    return None


async def _language(turn: Turn) -> str:
    officer = await turn.loket.desk.officer(turn.officer)
    return officer.language if officer else await turn.language()


async def keep_note(
    turn: Turn, case_id: int | str, text: str, file: dict[str, Any] | None, reply_to: int
) -> None:
    """Keep `text` (and the file) as an internal note on the case and say so."""
    attached = _file_data(turn, [file] if file else [])
    reference = await turn.loket.desk.note(
        turn.officer, case_id, text, attached, f"telegram:{turn.chat_id}"
    )
    lang = await _language(turn)
    await turn.say(t("annual.reply.noted", lang, reference=reference), reply_to=reply_to)


async def offer(
    turn: Turn, case_id: int | str, text: str, file: dict[str, Any] | None, message_id: int
) -> None:
    """Hold the reply and show it as the requester will see it, with the confirm buttons."""
    desk = turn.loket.desk
    preview = await desk.reply_preview(turn.officer, case_id, text, files=1 if file else 0)
    reply_id = await turn.loket.state.hold_reply(
        turn.chat_id,
        message_id,
        turn.user_id,
        preview.case_id,
        text,
        [file] if file else [],
        turn.now(),
    )
    lang = await _language(turn)
    body = preview.body
    if len(body) > PREVIEW_CHARS:
        body = body[: PREVIEW_CHARS - 1] + "…"
    attachment = t("annual.reply.with_file", lang, name=file["filename"]) if file else ""
    text_out = t(
        "annual.reply.confirm",
        lang,
        reference=preview.reference,
        channel=t(f"report.channel.{preview.channel}", lang),
        body=body,
        attachment=attachment,
    )
    await turn.say(text_out, keyboards.reply_confirm(reply_id, lang), reply_to=message_id)


def _file_data(turn: Turn, records: list[dict[str, Any]]) -> list[FileData]:
    blobs = turn.services.blobs
    return [FileData(f["filename"], f["content_type"], blobs.get(f["sha256"])) for f in records]


@handler
async def on_reply(turn: Turn) -> None:
    """A reply to a message linked to a case, from an officer (or anyone in a group chat,
    who is then refused politely and audited)."""
    message = turn.message
    if message is None or message.reply_to_message is None:
        raise NotMine
    state = turn.loket.state
    case_id = await state.case_of(turn.chat_id, message.reply_to_message.message_id)
    in_thread = False
    if case_id is None and message.message_thread_id is not None:
        # A reply to another message in the discussion under a card: officers talking.
        case_id = await state.case_of(turn.chat_id, message.message_thread_id)
        in_thread = case_id is not None
    if case_id is None:
        raise NotMine
    officer = await turn.loket.desk.officer(turn.officer)
    if officer is None and turn.private:
        raise NotMine  # a citizen answering in their own chat: the inbox takes it
    await turn.loket.desk.require(turn.officer, authz.REPLY, case_id)
    text = message.text or message.caption or ""
    file = await files.store(message, turn.services)
    note = internal_text(text, turn.services.settings.desk_internal_marker)
    if in_thread or note is not None:
        await keep_note(turn, case_id, text if note is None else note, file, message.message_id)
        return
    await offer(turn, case_id, text, file, message.message_id)


@handler
async def on_confirm(turn: Turn) -> None:
    """A held reply's button: rp:<reply_id>:<s|n|x> (send, internal note, cancel)."""
    reply_id, choice = turn.args
    assert isinstance(reply_id, int) and isinstance(choice, str)
    state, lang = turn.loket.state, await _language(turn)
    held = await state.held_reply(int(reply_id))
    if held is None:
        await turn.ack(t("annual.reply.handled", lang))
        await turn.edit(None)
        return
    if held.user_id != turn.user_id:
        raise DomainError("annual.reply.not_yours")
    attached = _file_data(turn, held.files)
    if choice == SEND:
        reference = await turn.loket.desk.reply(
            turn.officer,
            held.case_id,
            held.text,
            attached,
            f"tg:{held.chat_id}:{held.message_id}",
        )
        outcome = t("tg.desk.reply_queued", lang, reference=reference)
    elif choice == NOTE:
        reference = await turn.loket.desk.note(
            turn.officer, held.case_id, held.text, attached, f"telegram:{held.chat_id}"
        )
        outcome = t("annual.reply.noted", lang, reference=reference)
    else:
        outcome = t("annual.reply.dropped", lang)
    await state.drop_reply(int(reply_id))
    await turn.ack(outcome)
    await turn.edit(outcome)
