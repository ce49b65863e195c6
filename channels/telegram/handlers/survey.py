"""The satisfaction survey (SKM) in chat: nine questions, one at a time, scored 1-4 by a tap.

A tap is checked again here, whatever its callback data says: the case must be the tapper's
own and closed (bot.workflow.survey.record_survey_score), and an element is scored once.
"""

from __future__ import annotations

from bot.cases.requester_view import owned_case
from bot.i18n import t
from bot.workflow.survey import SURVEY_ELEMENTS, record_survey_score
from channels.telegram.render import survey_question
from channels.telegram.turn import Turn, handler
from store.enums import ContactKind


@handler
async def on_score(turn: Turn) -> None:
    """sv:<case_id>:<element>:<score>: store the score, then ask the next element."""
    case_id, element, score = turn.args
    assert isinstance(case_id, int) and isinstance(element, int) and isinstance(score, int)
    async with turn.services.db.transaction() as session:
        case = await owned_case(session, ContactKind.TELEGRAM, str(turn.chat_id), case_id)
        await record_survey_score(
            session, case_id=case_id, element=element, score=score, now=turn.now()
        )
    await turn.ack(t("tg.survey.saved", case.language))
    if element < len(SURVEY_ELEMENTS):
        text, markup = survey_question(case, element + 1)
        await turn.edit(text, markup)
    else:
        await turn.edit(t("tg.survey.thanks", case.language, reference=case.reference))
