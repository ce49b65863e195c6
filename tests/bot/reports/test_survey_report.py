"""The IKM report: complete questionnaires only, per element and overall, with the grade."""

from __future__ import annotations

from bot.reports.survey import survey_document
from bot.services import Services
from bot.workflow.rules import load_rules
from bot.workflow.survey import record_survey_score
from tests.support.builders import decided_case


async def test_ikm_per_element_and_grade(services: Services) -> None:
    cases = [await decided_case(services, phone=f"0812-3456-78{n}0") for n in range(3)]
    now = services.clock.now()
    async with services.db.transaction() as session:
        for element in range(1, 10):
            await record_survey_score(
                session, case_id=cases[0].id, element=element, score=4, now=now
            )
            score = 3 if element != 9 else 2
            await record_survey_score(
                session, case_id=cases[1].id, element=element, score=score, now=now
            )
        # incomplete: not a respondent
        await record_survey_score(session, case_id=cases[2].id, element=1, score=1, now=now)
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        data = (await survey_document(session, rules, 2026)).data
        other_year = (await survey_document(session, rules, 2025)).data
    assert data["respondents"] == 2
    assert data["elements"]["requirements"] == 3.5 and data["elements"]["facilities"] == 3.0
    # (8 x 3.5 + 3.0) / 9 x 25 = 86.11
    assert data["ikm"] == 86.11 and data["grade"] == "B" and data["grade_label"] == "Baik"
    assert other_year["respondents"] == 0 and other_year["ikm"] is None
