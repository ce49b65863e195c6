"""Keberatan: an objection to the Atasan PPID against one of the citizen's own requests, offered
only while a Pasal 35(1) ground is open (refusal, partial grant, overdue, ...). Choose the
request, the ground, write the reason, confirm: it gets its own number and deadline. Files
sent on the way (a voice note, a photo, a document) are kept as the objection's attachments."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.cases.attachments import StoredFile
from bot.cases.requester_view import cases_of_contact, file_objection, objection_grounds, owned_case
from bot.errors import DomainError
from bot.i18n import format_date, t
from bot.workflow.rules import load_rules
from channels.telegram import files, keyboards
from channels.telegram.state import Draft
from channels.telegram.turn import NotMine, Turn, handler
from store.enums import CaseKind, Channel, ContactKind

FLOW = "objection"
MIN_REASON = 10


async def start(turn: Turn) -> None:
    """Offer the citizen's requests on which an objection can be filed today."""
    lang = await turn.language()
    async with turn.services.db.session() as session:
        rules = await load_rules(session, turn.services.settings)
        cases = await cases_of_contact(session, ContactKind.TELEGRAM, str(turn.chat_id))
    eligible = [
        c
        for c in cases
        if c.kind == CaseKind.INFORMATION_REQUEST and objection_grounds(c, rules, turn.now())
    ]
    if not eligible:
        await turn.say(t("tg.objection.none", lang), keyboards.menu(lang))
        return
    items = [(c.reference, c.id) for c in eligible]
    await turn.say(
        t("tg.objection.pick_case", lang), keyboards.choose(keyboards.OBJ_CASE, items, lang)
    )


@handler
async def on_case(turn: Turn) -> None:
    """The request chosen: show its open grounds, one line each."""
    (case_id,) = turn.args
    assert isinstance(case_id, int)
    async with turn.services.db.session() as session:
        rules = await load_rules(session, turn.services.settings)
        case = await owned_case(session, ContactKind.TELEGRAM, str(turn.chat_id), case_id)
        grounds = objection_grounds(case, rules, turn.now())
    draft = await turn.draft()
    if not grounds:
        raise DomainError("tg.objection.closed", reference=case.reference)
    draft.start(FLOW, "ground", case_id=case_id, reference=case.reference)
    await turn.save()
    lang = draft.language
    text = (
        t("tg.objection.pick_ground", lang, reference=case.reference)
        + "\n\n"
        + "\n".join(
            t(f"form.ground.{g.ground}", lang)
            + " "
            + t("form.ground.until", lang, date=format_date(g.deadline, lang))
            for g in grounds
        )
    )
    items = [(t(f"form.ground.short.{g.ground}", lang), g.ground) for g in grounds]
    await turn.say(text, keyboards.choose(keyboards.OBJ_GROUND, items, lang))


@handler
async def on_ground(turn: Turn) -> None:
    """The ground chosen: ask for the reason."""
    draft = await turn.draft()
    if draft.flow != FLOW or draft.step != "ground":
        raise DomainError("tg.err.stale")
    draft.data["ground"] = turn.args[0]
    draft.step = "reason"
    await turn.save()
    await turn.edit(None)
    await turn.say(
        t("tg.objection.ask_reason", draft.language), keyboards.cancel_only(draft.language)
    )


def _summary(draft: Draft) -> str:
    lang = draft.language
    count = len(draft.data.get("files", []))
    return t(
        "tg.objection.summary",
        lang,
        reference=draft.data["reference"],
        ground=t(f"form.ground.{draft.data['ground']}", lang),
        reason=draft.data["reason"],
        files=t("tg.objection.summary_files", lang, count=count) if count else "",
    )


def _send_button(lang: str) -> InlineKeyboardMarkup:
    return keyboards.choose(keyboards.OBJ_SEND, [(t("tg.btn.submit", lang), "go")], lang)


@handler
async def on_input(turn: Turn) -> None:
    """The reason, typed (or as a file's caption); then the summary to confirm. A file sent at
    any step is kept and becomes an attachment of the objection."""
    draft = await turn.draft()
    if draft.flow != FLOW or turn.message is None:
        raise NotMine
    lang = draft.language
    kept = ""
    if files.incoming_file(turn.message) is not None:
        draft.data.setdefault("files", []).append(await files.store(turn.message, turn.services))
        await turn.save()
        kept = t("tg.objection.file_kept", lang, count=len(draft.data["files"])) + "\n\n"
    reason = (turn.message.text or turn.message.caption or "").strip()
    if draft.step == "confirm" and kept:
        await turn.say(kept + _summary(draft), _send_button(lang))
        return
    if draft.step != "reason":
        await turn.say(kept + t("tg.err.use_buttons", lang), keyboards.cancel_only(lang))
        return
    if len(reason) < MIN_REASON:
        key = "tg.objection.reason_in_writing" if kept else "form.err.too_short"
        error = t(key, lang, minimum=MIN_REASON)
        await turn.say(
            kept + error + "\n\n" + t("tg.objection.ask_reason", lang), keyboards.cancel_only(lang)
        )
        return
    draft.data["reason"] = reason
    draft.step = "confirm"
    await turn.save()
    await turn.say(_summary(draft), _send_button(lang))


@handler
async def on_send(turn: Turn) -> None:
    """Confirmed: register the objection; its number and deadline are the proof."""
    draft = await turn.draft()
    if draft.flow != FLOW or draft.step != "confirm":
        raise DomainError("tg.err.stale")
    await turn.edit(None)
    async with turn.services.db.transaction() as session:
        rules = await load_rules(session, turn.services.settings)
        case = await file_objection(
            session,
            ContactKind.TELEGRAM,
            str(turn.chat_id),
            int(draft.data["case_id"]),
            ground=draft.data["ground"],
            reason=draft.data["reason"],
            channel=Channel.TELEGRAM,
            rules=rules,
            now=turn.now(),
            attachments=[StoredFile(**f) for f in draft.data.get("files", [])],
        )
    draft.clear()
    await turn.save()
    lang = draft.language
    due = format_date(case.due_date, lang)
    await turn.say(
        t("tg.objection.registered", lang, reference=case.reference, due=due),
        keyboards.menu(lang),
        case_id=case.id,
    )
