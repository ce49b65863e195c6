"""The satisfaction index (IKM, PermenPANRB 14/2017) per element and overall, with its grade."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.reports.document import Document, Table
from bot.reports.sql import Period
from bot.reports.workdays import round_half_up
from bot.workflow.rules import Rules
from bot.workflow.survey import SURVEY_ELEMENTS, compute_ikm, element_label
from store.models import SurveyScore


async def survey_document(session: AsyncSession, rules: Rules, year: int) -> Document:
    """IKM for the surveys completed in `year`: only complete questionnaires (all nine
    elements) count as respondents, dated by their last answer."""
    lang, body = rules.settings.language, rules.settings.body_name
    period = Period.year(year, rules.settings.tz)
    elements = len(SURVEY_ELEMENTS)
    respondents = (
        select(SurveyScore.case_id)
        .group_by(SurveyScore.case_id)
        .having(func.count(func.distinct(SurveyScore.element)) == elements)
        .having(period.contains(func.max(SurveyScore.answered_at)))
        .subquery()
    )
    stmt = (
        select(SurveyScore.element, func.avg(SurveyScore.score), func.count())
        .where(col(SurveyScore.case_id).in_(select(respondents.c.case_id)))
        .group_by(SurveyScore.element)
    )
    found = {int(e): (float(avg), int(n)) for e, avg, n in (await session.exec(stmt)).all()}
    count = max((n for _, n in found.values()), default=0)
    averages = {e: avg for e, (avg, _) in found.items()}
    result = compute_ikm(averages) if len(averages) == elements else None
    rows = tuple(
        (
            n,
            element_label(n, lang),
            float(round_half_up(Decimal(str(averages[n])), 3)) if n in averages else None,
            float(round_half_up(Decimal(str(averages[n])) / elements, 3))
            if n in averages
            else None,
        )
        for n in range(1, elements + 1)
    )
    grade = result.grade if result else None
    summary: dict[str, Any] = {
        "respondents": count,
        "ikm": result.ikm if result else None,
        "grade": grade,
        "grade_label": t(f"report.survey.grade.{grade}", lang) if grade else None,
    }
    tables = (
        Table(
            t("report.sheet.survey", lang),
            t("report.survey.by_element", lang),
            tuple(t(f"report.survey.col.{i}", lang) for i in range(4)),
            rows,
            footer=("", t("report.survey.ikm", lang), summary["ikm"], grade),
        ),
        Table(
            t("report.sheet.summary", lang),
            t("report.survey.summary", lang),
            (t("report.col.item", lang), t("report.col.value", lang)),
            (
                (t("report.survey.respondents", lang), count),
                (t("report.survey.ikm", lang), summary["ikm"]),
                (t("report.survey.grade", lang), grade),
                (t("report.survey.quality", lang), summary["grade_label"]),
            ),
        ),
    )
    notes = (t("report.survey.note_formula", lang), t("report.survey.note_scope", lang))
    return Document(
        title=t("report.survey.title", lang, year=year),
        subtitle=period.subtitle(body, lang),
        tables=tables,
        notes=notes,
        language=lang,
        data={
            "report": "survey",
            "year": year,
            **summary,
            "elements": {key: averages.get(n) for n, key in enumerate(SURVEY_ELEMENTS, 1)},
            "notes": list(notes),
        },
    )
