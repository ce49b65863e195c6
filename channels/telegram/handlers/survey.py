"""The satisfaction survey (SKM) in chat: nine questions, one at a time, scored 1-4 by a tap."""

from __future__ import annotations

from bot.i18n import t
from bot.my_cases import owned_case
from bot.survey import SURVEY_ELEMENTS, record_survey_score
from channels.telegram import keyboards
from channels.telegram.sender import survey_question
from channels.telegram.turn import Turn, handler
from store.enums import ContactKind


@handler
async def on_score(turn: Turn) -> None:
    """sv:<case_id>:<element>:<score>: store the score, then ask the next element."""
    assert turn.query is not None and turn.query.data is not None
    _, case_id, element, score = keyboards.split(turn.query.data)
    async with turn.services.db.transaction() as session:
        case = await owned_case(session, ContactKind.TELEGRAM, str(turn.chat_id), int(case_id))
        await record_survey_score(
            session,
            case_id=case.id,
            element=int(element),
            score=int(score),
            now=turn.now(),  # type: ignore[arg-type]
        )
    await turn.ack(t("tg.survey.saved", case.language))
    if int(element) < len(SURVEY_ELEMENTS):
        text, markup = survey_question(case, int(element) + 1)
        await turn.edit(text, markup)
    else:
        await turn.edit(t("tg.survey.thanks", case.language, reference=case.reference))
