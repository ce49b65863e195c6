"""The satisfaction survey: scores, the email reply form and the IKM (PermenPANRB 14/2017)."""

from __future__ import annotations

import pytest

from bot.errors import DomainError, NotFoundError
from bot.services import Services
from bot.workflow.survey import (
    SURVEY_ELEMENTS,
    compute_ikm,
    element_label,
    grade_for,
    parse_survey_reply,
    record_survey_score,
    reply_form,
    survey_complete,
    survey_scores,
)
from tests.support.builders import decided_case, make_case


async def test_an_element_is_answered_once_and_the_first_answer_stands(
    services: Services,
) -> None:
    case = await decided_case(services)
    now = services.clock.now()
    async with services.db.transaction() as session:
        await record_survey_score(session, case_id=case.id, element=1, score=2, now=now)
    with pytest.raises(DomainError) as again:
        async with services.db.transaction() as session:
            await record_survey_score(session, case_id=case.id, element=1, score=4, now=now)
    assert again.value.key == "tgsafe.survey.already_answered"
    async with services.db.session() as session:
        assert await survey_scores(session, case.id) == {1: 2}
        assert not await survey_complete(session, case.id)


async def test_an_open_case_takes_no_score(services: Services) -> None:
    case = await make_case(services)  # registered, not decided: no survey yet
    with pytest.raises(DomainError) as refused:
        async with services.db.transaction() as session:
            await record_survey_score(
                session, case_id=case.id, element=1, score=4, now=services.clock.now()
            )
    assert refused.value.key == "tgsafe.survey.not_closed"
    async with services.db.session() as session:
        assert await survey_scores(session, case.id) == {}


async def test_complete_after_all_nine_elements(services: Services) -> None:
    case = await decided_case(services)
    now = services.clock.now()
    async with services.db.transaction() as session:
        for element in range(1, 10):
            await record_survey_score(session, case_id=case.id, element=element, score=3, now=now)
    async with services.db.session() as session:
        assert await survey_complete(session, case.id)


@pytest.mark.parametrize(("element", "score"), [(0, 3), (10, 3), (1, 0), (1, 5)])
async def test_out_of_range_answers_are_refused(
    services: Services, element: int, score: int
) -> None:
    case = await decided_case(services)
    async with services.db.transaction() as session:
        with pytest.raises(DomainError):
            await record_survey_score(
                session, case_id=case.id, element=element, score=score, now=services.clock.now()
            )


async def test_unknown_case_is_refused(services: Services) -> None:
    async with services.db.transaction() as session:
        with pytest.raises(NotFoundError):
            await record_survey_score(
                session, case_id=999, element=1, score=3, now=services.clock.now()
            )


def test_reply_parser_reads_own_lines_and_skips_the_quote() -> None:
    text = (
        "1: 4\n2 = 3\n3. 4 (cepat)\n4) 2\n5: 9\n10: 3\nterima kasih\n"
        "> 6: 1\n"
        "Pada Sen, 5 Jan 2026 pukul 09.00, PPID menulis:\n7: 1\n"
    )
    assert parse_survey_reply(text) == {1: 4, 2: 3, 3: 4, 4: 2}


def test_the_blank_reply_form_parses_to_nothing_and_a_filled_one_fully() -> None:
    form = reply_form("id")
    assert parse_survey_reply(form) == {}
    filled = form.replace(": _", ": 4")
    assert parse_survey_reply(filled) == dict.fromkeys(range(1, 10), 4)
    assert element_label(1, "id") in form


def test_element_order_follows_the_regulation() -> None:
    assert SURVEY_ELEMENTS[0] == "requirements" and SURVEY_ELEMENTS[-1] == "facilities"
    assert len(SURVEY_ELEMENTS) == 9


def test_ikm_formula_and_grades() -> None:
    result = compute_ikm(dict.fromkeys(range(1, 10), 3.5))
    assert result.ikm == 87.5 and result.grade == "B"
    assert compute_ikm(dict.fromkeys(range(1, 10), 4.0)).grade == "A"
    assert [grade_for(v) for v in (88.31, 88.30, 76.61, 76.60, 65.0, 64.99, 25.0)] == [
        "A",
        "B",
        "B",
        "C",
        "C",
        "D",
        "D",
    ]
    with pytest.raises(ValueError):
        compute_ikm({1: 3.0})


def test_survey_keys_exist_in_both_languages() -> None:
    for element in range(1, 10):
        assert element_label(element, "en") != element_label(element, "id")
    assert element_label(9, "en") in reply_form("en")
