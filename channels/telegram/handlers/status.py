"""/status (Cek Status): the citizen's own cases with status, due date and last message."""

from __future__ import annotations

from bot.cases.requester_view import status_list
from bot.cases.view import case_headline
from bot.i18n import format_date, t
from bot.privacy.masking import redact
from bot.workflow.rules import load_rules
from channels.telegram import keyboards
from channels.telegram.turn import Turn, handler
from store.enums import ContactKind

PREVIEW_CHARS = 120


async def show(turn: Turn) -> None:
    """List the cases of the person in this chat (never anyone else's), newest first."""
    lang = await turn.language()
    services = turn.services
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        lines = await status_list(
            session, ContactKind.TELEGRAM, str(turn.chat_id), rules, turn.now()
        )
    if not lines:
        await turn.say(t("tg.status.none", lang), keyboards.menu(lang))
        return
    blocks = []
    for item in lines:
        case, last = item.case, item.last_message
        preview = "-"
        if last is not None:
            text = " ".join(redact(last.text).split()) or "📎"
            sent_at = last.created_at.astimezone(services.settings.tz)
            preview = t(
                "tg.status.last",
                lang,
                at=f"{format_date(sent_at.date(), lang)} {sent_at:%H:%M}",
                who=t(f"tg.status.from_{last.direction}", lang),
                text=text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…",
            )
        blocks.append(t("tg.status.item", lang, **case_headline(case, lang).params(), last=preview))
    objectable = [
        (t("tg.status.object", lang, reference=i.case.reference), i.case.id)
        for i in lines
        if i.grounds
    ]
    markup = keyboards.choose(keyboards.OBJ_CASE, objectable, lang) if objectable else None
    await turn.say(t("tg.status.header", lang) + "\n\n" + "\n\n".join(blocks), markup)


@handler
async def status_command(turn: Turn) -> None:
    """/status in a private chat."""
    if turn.private:
        await show(turn)
