"""Messages and files a citizen sends outside any flow: added to their open case (the one they
reply to, the only one, or the one they pick), relayed to its officers; otherwise the menu."""

from __future__ import annotations

from typing import Any

from telegram import Message

from bot.cases.attachments import StoredFile
from bot.cases.requester_view import cases_of_contact, owned_case
from bot.cases.view import case_headline
from bot.errors import DomainError
from bot.i18n import t
from bot.intake.door import InboundMessage
from bot.notify.officer_cards import officer_chat
from channels.telegram import files, keyboards
from channels.telegram.turn import NotMine, Turn, handler
from store.enums import Channel, ContactKind

FLOW = "attach"


async def _append(turn: Turn, case_id: int, pending: dict[str, Any]) -> None:
    async with turn.services.db.session() as session:
        case = await owned_case(session, ContactKind.TELEGRAM, str(turn.chat_id), case_id)
    user = turn.update.effective_user
    stored = pending.get("file")  # already in the blob store (files.store)
    attachments = (StoredFile(**stored),) if stored else ()
    result = await turn.services.intake.handle_inbound(
        InboundMessage(
            channel=Channel.TELEGRAM,
            external_id=f"{turn.chat_id}:{pending['message_id']}",
            sender=str(turn.chat_id),
            sender_name=user.full_name if user else None,
            text=pending.get("text") or "",
            received_at=turn.now(),
            case_reference=case.reference,
            language=await turn.language(),
            attachments=attachments,
            meta={"telegram_user_id": turn.user_id},
        )
    )
    async with turn.services.db.session() as session:
        relayed = await officer_chat(session, case, turn.services.settings) is not None
    # Without an officers' chat nothing is relayed: the message waits on the case, and the
    # citizen is told exactly that.
    key = "tg.inbox.added" if relayed else "tgsafe.inbox.stored"
    await turn.say(t(key, await turn.language(), reference=result.case_reference))


async def _pending(turn: Turn, message: Message) -> dict[str, Any]:
    text = message.text or message.caption or ""
    if message.location is not None:
        lat, lon = f"{message.location.latitude:.5f}", f"{message.location.longitude:.5f}"
        text = t("form.location_value", await turn.language(), lat=lat, lon=lon)
    return {
        "message_id": message.message_id,
        "text": text,
        "file": await files.store(message, turn.services),
    }


@handler
async def on_message(turn: Turn) -> None:
    """Route a free message to the right open case, or offer the menu."""
    message = turn.message
    if message is None or not turn.private:
        raise NotMine
    lang = await turn.language()
    if message.reply_to_message is not None:
        linked = await turn.loket.state.case_of(turn.chat_id, message.reply_to_message.message_id)
        if linked is not None:
            await _append(turn, linked, await _pending(turn, message))
            return
    async with turn.services.db.session() as session:
        cases = await cases_of_contact(
            session, ContactKind.TELEGRAM, str(turn.chat_id), open_only=True
        )
    if not cases:
        if await turn.loket.desk.officer(turn.officer) is not None:
            await turn.say(t("tg.desk.help", lang))
        else:
            await turn.say(t("tg.inbox.no_case", lang), keyboards.menu(lang))
        return
    pending = await _pending(turn, message)
    if not pending["text"].strip() and pending["file"] is None:
        # a sticker, a dice, a poll: nothing an officer could read
        key = "tg.inbox.unreadable" if message.sticker else "tgsafe.inbox.unreadable"
        await turn.say(t(key, lang), keyboards.menu(lang))
        return
    if len(cases) == 1:
        await _append(turn, cases[0].id, pending)  # type: ignore[arg-type]
        return
    draft = await turn.draft()
    draft.start(FLOW, "pick", pending=pending)
    await turn.save()
    heads = [(case_headline(c, lang), c.id) for c in cases]
    items = [(f"{h.reference} · {h.kind}", case_id) for h, case_id in heads]
    await turn.say(t("tg.inbox.which", lang), keyboards.choose(keyboards.PICK_CASE, items, lang))


@handler
async def on_pick(turn: Turn) -> None:
    """The case picked for a waiting message."""
    (case_id,) = turn.args
    assert isinstance(case_id, int)
    draft = await turn.draft()
    if draft.flow != FLOW:
        raise DomainError("tg.err.stale")
    await turn.edit(None)
    # Appended before the draft forgets it: a crash in between appends again (same external
    # id: nothing doubled), never loses the waiting message.
    await _append(turn, case_id, draft.data["pending"])
    draft.clear()
    await turn.save()
