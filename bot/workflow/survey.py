"""The satisfaction survey (Survei Kepuasan Masyarakat, PermenPANRB 14/2017).

Nine elements, each scored 1-4 by the requester after their case is closed. The index is
IKM = sum(average score of element x 1/9) x 25, graded A-D by the regulation's intervals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError, NotFoundError
from bot.i18n import t
from store.enums import ComplaintStatus, RequestStatus
from store.models import Case, SurveyScore

# PermenPANRB 14/2017, Lampiran: the nine elements, in the regulation's order (element 1..9).
SURVEY_ELEMENTS: tuple[str, ...] = (
    "requirements",
    "procedure",
    "time",
    "cost",
    "product",
    "competence",
    "behaviour",
    "complaint_handling",
    "facilities",
)
MIN_SCORE, MAX_SCORE = 1, 4
# The statuses whose requesters are invited to the survey (scheduler/jobs/requesters.py).
SURVEYED_STATUSES = frozenset({RequestStatus.DECIDED, ComplaintStatus.DONE})
IKM_FACTOR = 25  # converts the weighted 1-4 average to the 25-100 scale

# (lowest IKM of the grade, grade), highest first; the regulation's intervals end at x.x0/x.x1.
_GRADES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("88.31"), "A"),
    (Decimal("76.61"), "B"),
    (Decimal("65.00"), "C"),
    (Decimal("25.00"), "D"),
)

_REPLY_LINE = re.compile(r"^\s*(\d{1,2})\s*[:=.)-]\s*(\d)\s*(?:\(.*\))?\s*$")
# A quoted original starts here; nothing after it is the requester's own answer.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:On .+ wrote:|Pada .+ menulis:|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Pesan Asli)",
    re.IGNORECASE,
)


def element_label(element: int, language: str | None = None) -> str:
    """The element's question title in `language` (element is 1-based, 1..9)."""
    _check_element(element)
    return t(f"survey.element.{SURVEY_ELEMENTS[element - 1]}", language)


def score_label(score: int, language: str | None = None) -> str:
    """What a score means in words (1 = tidak baik ... 4 = sangat baik)."""
    _check_score(score)
    return t(f"survey.score.{score}", language)


def reply_form(language: str | None = None) -> str:
    """The email reply format: an instruction and one `n: _` line per element, to fill in."""
    lines = [t("survey.email_intro", language), ""]
    lines += [
        t("survey.email_line", language, n=n, label=element_label(n, language))
        for n in range(1, len(SURVEY_ELEMENTS) + 1)
    ]
    lines += ["", t("survey.email_scale", language)]
    return "\n".join(lines)


def parse_survey_reply(text: str) -> dict[int, int]:
    """Scores found in an email reply, as {element: score}.

    Lines such as `1: 4`, `2 = 3`, `3. 4` or `4) 2` count; quoted lines (`>`) and everything
    after a reply header ("On ... wrote:", "Pada ... menulis:") are ignored. Elements outside
    1..9 and scores outside 1..4 are left out rather than guessed; the first answer for an
    element wins.
    """
    found: dict[int, int] = {}
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        match = _REPLY_LINE.match(line)
        if not match:
            continue
        element, score = int(match.group(1)), int(match.group(2))
        if 1 <= element <= len(SURVEY_ELEMENTS) and MIN_SCORE <= score <= MAX_SCORE:
            found.setdefault(element, score)
    return found


def _check_element(element: int) -> None:
    if not 1 <= element <= len(SURVEY_ELEMENTS):
        raise DomainError("survey.element_range", maximum=len(SURVEY_ELEMENTS))


def _check_score(score: int) -> None:
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise DomainError("survey.score_range", low=MIN_SCORE, high=MAX_SCORE)


def survey_open(case: Case) -> bool:
    """True when the case's requester may answer the survey: a decided request or a completed
    complaint (the cases invited to it), and only while it stays closed."""
    return case.closed_at is not None and case.status in SURVEYED_STATUSES


async def record_survey_score(
    session: AsyncSession, *, case_id: int, element: int, score: int, now: dt.datetime
) -> None:
    """Store the score for one element of one case, once: the first answer stands.

    Raises DomainError for an element outside 1..9, a score outside 1..4, a case not (or no
    longer) closed, or an element already answered; NotFoundError for an unknown case. Two
    concurrent answers meet at the (case, element) key and only one is stored.
    """
    _check_element(element)
    _check_score(score)
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFoundError("survey.case_unknown", case_id=case_id)
    if not survey_open(case):
        raise DomainError("tgsafe.survey.not_closed", reference=case.reference)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(SurveyScore).values(
        case_id=case_id, element=element, score=score, answered_at=now
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=["case_id", "element"])
    result = await session.exec(stmt)  # type: ignore[call-overload]
    if not result.rowcount:
        raise DomainError("tgsafe.survey.already_answered", n=element)


async def survey_scores(session: AsyncSession, case_id: int) -> dict[int, int]:
    """The scores given so far for a case, as {element: score}."""
    rows = await session.exec(
        select(SurveyScore.element, SurveyScore.score).where(SurveyScore.case_id == case_id)
    )
    return dict(rows.all())


async def survey_complete(session: AsyncSession, case_id: int) -> bool:
    """True when all nine elements of the case's survey have a score."""
    count = await session.scalar(
        select(func.count(func.distinct(SurveyScore.element))).where(SurveyScore.case_id == case_id)
    )
    return (count or 0) >= len(SURVEY_ELEMENTS)


@dataclass(frozen=True)
class IkmResult:
    """The survey index: average score per element (1..9 -> 1-4 scale), IKM 25-100, grade."""

    element_averages: dict[int, float]
    ikm: float
    grade: str


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grade_for(ikm: float) -> str:
    """The grade A-D for an IKM value (rounded to two decimals first, as the intervals are)."""
    value = _round2(Decimal(str(ikm)))
    for lowest, grade in _GRADES:
        if value >= lowest:
            return grade
    return "D"


def compute_ikm(element_averages: Mapping[int, float]) -> IkmResult:
    """IKM = sum(average of element x 1/9) x 25, for averages of all nine elements.

    Raises ValueError when an element has no average (the index needs all nine).
    """
    missing = [n for n in range(1, len(SURVEY_ELEMENTS) + 1) if n not in element_averages]
    if missing:
        raise ValueError(f"no average for survey elements {missing}")
    total = sum(Decimal(str(element_averages[n])) for n in range(1, len(SURVEY_ELEMENTS) + 1))
    ikm = _round2(total / len(SURVEY_ELEMENTS) * IKM_FACTOR)
    return IkmResult(
        element_averages={n: float(element_averages[n]) for n in sorted(element_averages)},
        ikm=float(ikm),
        grade=grade_for(float(ikm)),
    )
