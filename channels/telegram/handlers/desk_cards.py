"""The buttons on case cards: claim, dispose to a unit, ask to complete, extend, decide, the
complaint steps, the Atasan's answer, and "show details" (sent privately, audited).

Steps that need words (a reason, a follow-up, a redaction note, ...) ask for them with a
ForceReply prompt and keep what is pending in an officer draft in the store, so the next
message of that officer in that chat completes the step, even after a restart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from telegram import ForceReply, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden

from bot.desk.actions import Card
from bot.errors import DomainError
from bot.i18n import t
from bot.workflow.decision_terms import parse_terms
from channels.telegram import keyboards
from channels.telegram.turn import NotMine, Turn, handler, say

FLOW = "desk"
IMMEDIATE = frozenset({"claim", "start_processing", "close", "resume"})
# action -> the parameter an officer types for it
NEEDS_TEXT = {
    "extend": "reason",
    "hold": "reason",
    "archive": "reason",
    "not_our_authority": "destination",
    "post_followup": "text",
}
# decision -> what the officer types for it, in order; a grant's notice needs its terms (the
# time to provide, and form, delivery and fee if not as asked: bot/workflow/decision_terms.py).
DECISION_NEEDS: dict[str, tuple[str, ...]] = {
    "granted_full": ("terms",),
    "granted_partial": ("redaction_note", "terms"),
    "not_held": ("holder_body",),
    "not_documented": ("available_on",),
}
ASK_KEYS = {"terms": "letters.ask.terms"}
NONE_WORDS = {"-", "tidak ada", "tidak tahu", "none", "unknown"}


async def _officer_language(turn: Turn) -> str:
    officer = await turn.loket.desk.officer(turn.officer)
    return officer.language if officer else await turn.language()


def card_markup(card: Card) -> InlineKeyboardMarkup | None:
    """The card's buttons."""
    return keyboards.desk_actions(card.case_id, card.actions, card.language)


async def show_card(turn: Turn, card: Card, *, edit: bool) -> None:
    """Edit the tapped card, or post the card anew and link it to its case for replies."""
    if edit:
        await turn.edit(card.text, card_markup(card))
        return
    await turn.say(card.text, card_markup(card), case_id=card.case_id)


async def ask_for(
    turn: Turn,
    action: str,
    case_id: int,
    need: str,
    *,
    then: tuple[str, ...] = (),
    card_message: int | None = None,
    **params: Any,
) -> None:
    """Keep the step pending and ask the officer (ForceReply) for the missing words; `then`
    are the words to ask for after these, before the step is taken."""
    lang = await _officer_language(turn)
    card = await turn.loket.desk.card(turn.officer, case_id, turn.chat_id)
    text = t(ASK_KEYS.get(need, f"tg.desk.ask.{need}"), lang, reference=card.reference)
    # Not selective: the prompt is a reply to no one, and the draft is this officer's anyway.
    await turn.say(text, ForceReply(input_field_placeholder=text[:64]))
    draft = await turn.draft()
    draft.start(FLOW, need, action=action, case_id=case_id, params=params, then=list(then))
    if card_message is not None:
        draft.data["card"] = card_message
    elif turn.query is not None and turn.query.message is not None:
        draft.data["card"] = turn.query.message.message_id
    await turn.save()


async def run(turn: Turn, action: str, case_id: int, params: dict[str, Any], *, edit: bool) -> None:
    """Do the step and show the new card."""
    card = await turn.loket.desk.act(turn.officer, case_id, action, turn.chat_id, **params)
    lang = await _officer_language(turn)
    await turn.ack(t("tg.desk.done", lang))
    await show_card(turn, card, edit=edit)


async def press(turn: Turn, action: str, case_id: int) -> None:
    """What one card button does (also used by /putus without arguments)."""
    desk, lang = turn.loket.desk, await _officer_language(turn)
    if action in IMMEDIATE:
        await run(turn, action, case_id, {}, edit=turn.query is not None)
    elif action == "reveal":
        await _reveal(turn, case_id, lang)
    elif action == "ask_complete":
        missing = await desk.ask_to_complete(turn.officer, case_id)
        await turn.ack(t("tg.desk.asked", lang, count=len(missing)))
    elif action in NEEDS_TEXT:
        await desk.require(turn.officer, action, case_id)
        await turn.ack()
        await ask_for(turn, action, case_id, NEEDS_TEXT[action])
    elif action == "dispute":  # the Komisi Informasi and court steps (issue 14)
        steps = await desk.dispute_steps(turn.officer, case_id)
        if not steps:
            await turn.ack(t("annual.dispute.nothing", lang), alert=True)
            return
        await turn.ack()
        markup = keyboards.dispute_steps(case_id, steps, lang)
        if turn.query is not None:
            await turn.edit(None, markup)
        else:
            await turn.say(t("annual.dispute.choose", lang), markup)
    elif action in ("dispose", "decide", "answer"):
        await desk.require(turn.officer, action, case_id)
        await turn.ack()
        if action == "dispose":
            units = [(u.id, u.name) for u in await desk.units()]
            markup = keyboards.units(case_id, units, lang)  # type: ignore[arg-type]
        elif action == "decide":
            markup = keyboards.decisions(case_id, lang)
        else:
            markup = keyboards.atasan_answers(case_id, lang)
        if turn.query is not None:
            await turn.edit(None, markup)
        else:
            await turn.say(t(f"tg.desk.choose.{action}", lang), markup, case_id=case_id)
    else:
        raise DomainError("desk.unknown_action", action=action)


async def _reveal(turn: Turn, case_id: int, lang: str) -> None:
    revealed = await turn.loket.desk.reveal(turn.officer, case_id)
    try:
        # Sent at once, not queued: a private chat the officer never opened is refused here.
        await say(turn.bot, turn.user_id, revealed.text)
        for f in revealed.files:
            data = turn.services.blobs.get(f.sha256)
            await turn.bot.send_document(turn.user_id, InputFile(data, filename=f.filename))
    except Forbidden:
        raise DomainError("tg.desk.start_private") from None
    await turn.ack(t("tg.desk.sent_private", lang))


@handler
async def on_action(turn: Turn) -> None:
    """A card button: a:<action>:<case_id>."""
    action, case_id = turn.args
    assert isinstance(action, str) and isinstance(case_id, int)
    await press(turn, action, case_id)


@handler
async def on_dispose(turn: Turn) -> None:
    """A unit chosen: du:<case_id>:<unit_id>."""
    case_id, unit_id = turn.args
    assert isinstance(case_id, int)
    await run(turn, "dispose", case_id, {"unit_id": unit_id}, edit=True)


@handler
async def on_decision(turn: Turn) -> None:
    """A decision chosen: dd:<case_id>:<decision>."""
    case_id, decision = turn.args
    assert isinstance(case_id, int)
    await turn.loket.desk.require(turn.officer, "decide", case_id)
    if decision == "refused":
        await turn.ack()
        await turn.edit(None, keyboards.refusal_grounds(case_id, await _officer_language(turn)))
    elif decision in DECISION_NEEDS:
        await turn.ack()
        first, *rest = DECISION_NEEDS[decision]
        await ask_for(turn, "decide", case_id, first, then=tuple(rest), decision=decision)
    else:
        await run(turn, "decide", case_id, {"decision": decision}, edit=True)


@handler
async def on_refusal_ground(turn: Turn) -> None:
    """A Pasal 17 letter chosen: dg:<case_id>:<letter>; the consequence test comes next."""
    case_id, letter = turn.args
    assert isinstance(case_id, int)
    await turn.loket.desk.require(turn.officer, "decide", case_id)
    await turn.ack()
    await ask_for(
        turn, "decide", case_id, "consequence_test", decision="refused", refusal_ground=letter
    )


@handler
async def on_answer(turn: Turn) -> None:
    """The Atasan's answer chosen: aa:<case_id>:<upheld|overturned>; the reasons come next."""
    case_id, decision = turn.args
    assert isinstance(case_id, int)
    await turn.loket.desk.require(turn.officer, "answer", case_id)
    await turn.ack()
    await ask_for(turn, "answer", case_id, "reasons", decision=decision)


@handler
async def on_back(turn: Turn) -> None:
    """Back from a sub-menu to the card's buttons: ab:<case_id>."""
    (case_id,) = turn.args
    assert isinstance(case_id, int)
    card = await turn.loket.desk.card(turn.officer, case_id, turn.chat_id)
    await turn.ack()
    await turn.edit(None, card_markup(card))


def parse_value(need: str, text: str, today: dt.date) -> str | None:
    """What an officer typed for `need`, checked (a date must not be past; "-" = none)."""
    words = " ".join(text.split())
    if need == "holder_body" and words.lower() in NONE_WORDS:
        return None
    if need == "available_on":
        for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                day = dt.datetime.strptime(words, fmt).date()
            except ValueError:
                continue
            if day < today:
                raise DomainError("tg.err.date_past")
            return day.isoformat()
        raise DomainError("form.err.date")
    if not words:
        raise DomainError("workflow.reason_required")
    return text.strip()


def given(need: str, text: str, today: dt.date) -> dict[str, Any]:
    """The step parameters an officer's words for `need` amount to."""
    if need == "terms":
        return parse_terms(text)
    value = parse_value(need, text, today)
    return {need: value} if value is not None else {}


@handler
async def on_text(turn: Turn) -> None:
    """The words a pending step asked for (a reply to a case message is an answer instead).

    ForceReply makes the officer's client reply to the prompt; in a group with privacy mode
    that reply is all the bot sees anyway, and the draft is keyed by officer and chat.
    """
    message = turn.message
    if message is None or message.text is None or message.text.startswith("/"):
        raise NotMine
    draft = await turn.draft()
    if draft.flow != FLOW:
        raise NotMine
    replied = message.reply_to_message
    if replied is not None and await turn.loket.state.case_of(turn.chat_id, replied.message_id):
        raise NotMine  # an answer to the requester, not the words the step waits for
    need, data = draft.step, draft.data
    assert need is not None
    params = {**data.get("params", {}), **given(need, message.text, turn.today())}
    draft.clear()
    await turn.save()
    if data.get("then"):
        first, *rest = data["then"]
        await ask_for(turn, data["action"], int(data["case_id"]), first, then=tuple(rest),
                      card_message=data.get("card"), **params)  # fmt: skip
        return
    card = await turn.loket.desk.act(
        turn.officer, int(data["case_id"]), data["action"], turn.chat_id, **params
    )
    lang = await _officer_language(turn)
    await turn.say(
        t("tg.desk.done_step", lang, reference=card.reference), reply_to=message.message_id
    )
    if data.get("card"):
        try:
            await turn.bot.edit_message_text(
                card.text,
                chat_id=turn.chat_id,
                message_id=data["card"],
                reply_markup=card_markup(card),
            )
        except BadRequest:  # the card is gone or unchanged: post it anew instead
            await show_card(turn, card, edit=False)
    else:
        await show_card(turn, card, edit=False)
