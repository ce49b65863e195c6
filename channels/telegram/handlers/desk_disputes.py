"""The dispute menu of an objection card: the requester's filing at the Komisi Informasi, the
mediation or adjudication result, a lawsuit and the court's decision, each with its date.

A step asks (ForceReply) for "DATE result" and keeps what is pending in the officer's desk
draft, so desk_cards.on_text completes it like any other step that needs words.
"""

from __future__ import annotations

from telegram import ForceReply

from bot.desk.steps import DISPUTE_CODES
from bot.errors import DomainError
from bot.i18n import t
from channels.telegram.handlers.desk_cards import FLOW
from channels.telegram.turn import Turn, handler

NEED = "details"


@handler
async def on_step(turn: Turn) -> None:
    """A dispute step chosen: ds:<case_id>:<code>; the date and result come next."""
    case_id, code = turn.args
    assert isinstance(case_id, int) and isinstance(code, str)
    if code not in DISPUTE_CODES:
        raise DomainError("tg.err.stale")
    action, outcome = DISPUTE_CODES[code]
    desk = turn.loket.desk
    await desk.require(turn.officer, action, int(case_id))
    if code not in await desk.dispute_steps(turn.officer, int(case_id)):
        raise DomainError("tg.err.stale")
    await turn.ack()
    officer = await desk.officer(turn.officer)
    lang = officer.language if officer else await turn.language()
    card = await desk.card(turn.officer, int(case_id), turn.chat_id)
    text = t(f"annual.dispute.ask.{code}", lang, reference=card.reference)
    await turn.say(text, ForceReply(input_field_placeholder=text[:64]))
    draft = await turn.draft()
    params = {"outcome": outcome} if outcome else {}
    draft.start(FLOW, NEED, action=action, case_id=int(case_id), params=params)
    if turn.query.message is not None:
        draft.data["card"] = turn.query.message.message_id
    await turn.save()
