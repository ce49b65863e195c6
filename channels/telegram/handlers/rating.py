"""The complainant rates a complaint's follow-up in chat: a tap 1-5, then a comment if they
want (the next message; /batal or "-" for none)."""

from __future__ import annotations

from bot.cases.audit import requester_actor
from bot.cases.requester_view import owned_case
from bot.i18n import t
from bot.workflow.complaints import rate
from bot.workflow.rules import load_rules
from channels.telegram.turn import NotMine, Turn, handler
from store.enums import ContactKind

FLOW = "rating"
NO_COMMENT = {"-", "tidak ada", "tidak", "none", "no"}


async def _rate(turn: Turn, case_id: int, score: int, comment: str | None) -> str:
    """Store the rating (and comment) on the person's own case; return the case language."""
    services = turn.services
    async with services.db.transaction() as session:
        case = await owned_case(session, ContactKind.TELEGRAM, str(turn.chat_id), case_id)
        rules = await load_rules(session, services.settings)
        actor = requester_actor(case.requester_id)
        await rate(
            session, case, rating=score, comment=comment, rules=rules, actor=actor, now=turn.now()
        )
        case.rated_at = turn.now()
        session.add(case)
        return case.language


@handler
async def on_rating(turn: Turn) -> None:
    """rt:<case_id>:<score>: store the rating, then ask for a comment."""
    case_id, score = turn.args
    assert isinstance(case_id, int) and isinstance(score, int)
    lang = await _rate(turn, int(case_id), int(score), None)
    await turn.ack(t("annual.rating.saved", lang))
    draft = await turn.draft()
    if draft.flow is not None:  # a form in progress is not interrupted for a comment
        await turn.edit(t("annual.rating.thanks", lang, score=score))
        return
    await turn.edit(t("annual.rating.comment", lang, score=score))
    draft.start(FLOW, "comment", case_id=int(case_id), score=int(score))
    await turn.save()


@handler
async def on_comment(turn: Turn) -> None:
    """The comment that follows a rating tap."""
    message = turn.message
    if message is None or not turn.private or message.text is None:
        raise NotMine
    draft = await turn.draft()
    if draft.flow != FLOW or message.text.startswith("/"):
        raise NotMine
    data = dict(draft.data)
    draft.clear()
    await turn.save()
    words = " ".join(message.text.split())
    comment = None if words.lower() in NO_COMMENT else words
    lang = await _rate(turn, int(data["case_id"]), int(data["score"]), comment)
    await turn.say(t("annual.rating.thanks", lang, score=data["score"]))
