"""The officers' commands: /kasus REF, /balas REF text, /putus REF decision ..., /daftar and
/catat (register a request received at the desk, by letter, phone or WhatsApp)."""

from __future__ import annotations

from bot.cases.view import case_headline
from bot.errors import DomainError
from bot.i18n import t
from bot.intake.forms import FORMS
from channels.telegram import keyboards
from channels.telegram.handlers import desk_cards, desk_reply, intake
from channels.telegram.turn import Turn, handler

# What officers may type after /putus REF, in Indonesian or English.
DECISION_WORDS = {
    "diberikan": "granted_full",
    "penuh": "granted_full",
    "granted_full": "granted_full",
    "sebagian": "granted_partial",
    "granted_partial": "granted_partial",
    "ditolak": "refused",
    "refused": "refused",
    "tidak_dikuasai": "not_held",
    "not_held": "not_held",
    "belum_didokumentasikan": "not_documented",
    "not_documented": "not_documented",
}
REGISTER_FLOW = "catat"


def _args(turn: Turn) -> list[str]:
    return list(turn.context.args or [])


async def _language(turn: Turn) -> str:
    officer = await turn.loket.desk.officer(turn.officer)
    return officer.language if officer else await turn.language()


async def _usage(turn: Turn, command: str) -> None:
    await turn.say(t(f"tg.desk.usage.{command}", await _language(turn)))


@handler
async def kasus(turn: Turn) -> None:
    """/kasus REF: the case card, with the buttons this chat may use."""
    args = _args(turn)
    if len(args) != 1:
        await _usage(turn, "kasus")
        return
    card = await turn.loket.desk.card(turn.officer, args[0], turn.chat_id)
    await desk_cards.show_card(turn, card, edit=False)


@handler
async def balas(turn: Turn) -> None:
    """/balas REF text: answer the requester on their channel, after a confirming tap; with the
    internal marker first, the text is kept as an internal note instead."""
    args = _args(turn)
    assert turn.message is not None and turn.message.text is not None
    if len(args) < 2:
        await _usage(turn, "balas")
        return
    text = turn.message.text.split(maxsplit=2)[2]
    card = await turn.loket.desk.card(turn.officer, args[0], turn.chat_id)
    note = desk_reply.internal_text(text, turn.services.settings.desk_internal_marker)
    if note is not None:
        await desk_reply.keep_note(turn, card.case_id, note, None, turn.message.message_id)
        return
    await desk_reply.offer(turn, card.case_id, text, None, turn.message.message_id)


@handler
async def putus(turn: Turn) -> None:
    """/putus REF [decision [details]]: decide a request; without a decision, the choices."""
    args = _args(turn)
    assert turn.message is not None and turn.message.text is not None
    if not args:
        await _usage(turn, "putus")
        return
    card = await turn.loket.desk.card(turn.officer, args[0], turn.chat_id)
    if len(args) == 1:
        await desk_cards.press(turn, "decide", card.case_id)
        return
    decision = DECISION_WORDS.get(args[1].lower())
    if decision is None:
        await _usage(turn, "putus")
        return
    rest = turn.message.text.split(maxsplit=3)[3] if len(args) > 2 else ""
    params: dict[str, str] = {"decision": decision}
    if decision == "refused":
        letter, _, test = rest.partition(" ")
        params |= {"refusal_ground": letter, "consequence_test": test}
    elif decision in desk_cards.DECISION_NEEDS:
        first, *later = desk_cards.DECISION_NEEDS[decision]
        if not rest:
            await desk_cards.ask_for(
                turn, "decide", card.case_id, first, then=tuple(later), decision=decision
            )
            return
        params |= desk_cards.given(first, rest, turn.today())
        if later:
            await desk_cards.ask_for(
                turn, "decide", card.case_id, later[0], then=tuple(later[1:]), **params
            )
            return
    await desk_cards.run(turn, "decide", card.case_id, params, edit=False)


@handler
async def daftar(turn: Turn) -> None:
    """/daftar: open cases of my unit (all, for the desk), soonest due first."""
    cases = await turn.loket.desk.open_cases(turn.officer)
    lang = await _language(turn)
    if not cases:
        await turn.say(t("tg.desk.list_empty", lang))
        return
    lines = [t("tg.desk.list_item", lang, **case_headline(c, lang).params()) for c in cases]
    await turn.say(t("tg.desk.list_header", lang, count=len(cases)) + "\n" + "\n".join(lines))


@handler
async def catat(turn: Turn) -> None:
    """/catat: register a case for a citizen (in a private chat: personal data stays there)."""
    await turn.loket.desk.require(turn.officer, "register", None)
    lang = await _language(turn)
    if not turn.private:
        raise DomainError("tg.desk.catat_private")
    draft = await turn.draft()
    draft.language = lang
    draft.start(REGISTER_FLOW, "kind")
    await turn.save()
    items = [(t(f"desk.kind.{f.kind}", lang), name) for name, f in FORMS.items()]
    await turn.say(
        t("tg.desk.catat_kind", lang), keyboards.choose(keyboards.REGISTER_KIND, items, lang)
    )


@handler
async def on_register_kind(turn: Turn) -> None:
    """/catat: the kind chosen; now the channel it came by."""
    await turn.loket.desk.require(turn.officer, "register", None)
    draft = await turn.draft()
    if draft.flow != REGISTER_FLOW:
        raise DomainError("tg.err.stale")
    draft.data["form"] = turn.args[0]
    draft.step = "channel"
    await turn.save()
    lang = draft.language
    items = [(t(f"tg.channel.{c}", lang), c) for c in keyboards.DESK_INTAKE_CHANNELS]
    await turn.edit(
        t("tg.desk.catat_channel", lang),
        keyboards.choose(keyboards.REGISTER_CHANNEL, items, lang, per_row=2),
    )


@handler
async def on_register_channel(turn: Turn) -> None:
    """/catat: the channel chosen; the form follows, as a citizen would fill it."""
    await turn.loket.desk.require(turn.officer, "register", None)
    draft = await turn.draft()
    if draft.flow != REGISTER_FLOW or "form" not in draft.data:
        raise DomainError("tg.err.stale")
    await turn.edit(None)
    form = FORMS[draft.data["form"]]
    await intake.start_form(turn, form, desk_channel=str(turn.args[0]))
