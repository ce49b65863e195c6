"""The annual public-information service report (UU KIP Pasal 12; Perki 1/2021 Pasal 56).

This module counts; bot.reports.annual_layout lays the counts out as the seed 001 document.

Every figure of domain.md §6 comes from a grouped SQL query over the year's cases; only the
working days taken are finished in Python, once per distinct (receipt date, decision date) pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.annual_layout import PENDING, annual_document
from bot.reports.sql import Period, local_date, local_month
from bot.reports.workdays import DayCounter, Durations, durations
from bot.workflow.objections import PASAL_35_GROUNDS
from bot.workflow.requests import PASAL_17_GROUNDS
from bot.workflow.rules import Rules
from store.enums import AtasanDecision, CaseKind, Channel, Decision, DisputeOutcome
from store.models import Case, Unit

__all__ = ["PENDING", "AnnualFigures", "annual_document", "annual_figures"]


@dataclass
class AnnualFigures:
    """Every number of the annual report for one year (counts by key, zeros included)."""

    year: int
    period: Period
    limits: tuple[int, int]  # the notice deadline and the hard maximum, in working days
    timezone: str = "Asia/Jakarta"
    requests_total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_month: dict[int, int] = field(default_factory=dict)
    by_unit: dict[str | None, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)  # Decision values + "pending"
    refused_by_ground: dict[str, int] = field(default_factory=dict)
    extended: int = 0
    taken: Durations = field(default_factory=Durations)
    late: int = 0
    objections_by_ground: dict[str, int] = field(default_factory=dict)
    atasan_answers: dict[str, int] = field(default_factory=dict)  # AtasanDecision + "pending"
    disputes_by_outcome: dict[str, int] = field(default_factory=dict)  # DisputeOutcome + pending
    by_channel_month: dict[str, dict[int, int]] = field(default_factory=dict)
    dispute_results: dict[str, int] = field(default_factory=dict)  # decided in the year
    court_filed: int = 0
    court_decided: int = 0

    @property
    def granted(self) -> int:
        """Requests granted in full or in part."""
        return self.decisions.get(Decision.GRANTED_FULL, 0) + self.decisions.get(
            Decision.GRANTED_PARTIAL, 0
        )

    @property
    def objections_total(self) -> int:
        """Objections received in the year."""
        return sum(self.objections_by_ground.values())

    @property
    def disputes_total(self) -> int:
        """Disputes taken to the Komisi Informasi in the year."""
        return sum(self.disputes_by_outcome.values())

    def as_json(self) -> dict[str, Any]:
        """The JSON form (keys as in issue 6 and domain.md §6)."""
        short, hard = self.limits
        return {
            "report": "annual",
            "year": self.year,
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "requests_total": self.requests_total,
            "by_channel": self.by_channel,
            "by_month": {f"{self.year}-{m:02d}": n for m, n in self.by_month.items()},
            "by_unit": [{"unit": name, "requests": n} for name, n in self.by_unit.items()],
            "decided": self.taken.count,
            "undecided": self.decisions.get(PENDING, 0),
            "average_working_days": self.taken.average(),
            "max_working_days": self.taken.maximum,
            "limits_working_days": {"notice": short, "maximum": hard},
            "within_10": self.taken.within_limit(short),
            "within_17": self.taken.within_limit(hard),
            "late": self.late,
            "extended": self.extended,
            **{d.value: self.decisions.get(d.value, 0) for d in Decision},
            "refused_by_ground": self.refused_by_ground,
            "objections": {
                "total": self.objections_total,
                "by_ground": self.objections_by_ground,
                "atasan_answers": self.atasan_answers,
            },
            "by_channel_month": {
                channel: {f"{self.year}-{m:02d}": n for m, n in months.items()}
                for channel, months in self.by_channel_month.items()
            },
            "granted": self.granted,
            "disputes": {
                "total": self.disputes_total,
                "by_outcome": self.disputes_by_outcome,
                "results_in_year": self.dispute_results,
                "court_cases": self.court_filed,
                "court_decisions": self.court_decided,
            },
        }


def _counts(rows: Any, keys: tuple[str, ...], none_as: str | None = None) -> dict[str, int]:
    found = {(none_as if key is None else str(key)): int(n) for key, n in rows}
    return {str(key): found.get(str(key), 0) for key in keys}


async def annual_figures(session: AsyncSession, rules: Rules, year: int) -> AnnualFigures:
    """Aggregate the annual report for `year` (local calendar year) from the store."""
    settings, tz = rules.settings, rules.settings.tz
    dialect = session.get_bind().dialect.name
    period = Period.year(year, tz)
    short = settings.request_response_days
    hard = short + settings.request_extension_days
    figures = AnnualFigures(
        year=year, period=period, limits=(short, hard), timezone=settings.timezone
    )
    requests = (Case.kind == CaseKind.INFORMATION_REQUEST) & period.contains(Case.received_at)

    async def grouped(key: Any, where: Any) -> list[Any]:
        stmt = select(key, func.count()).where(where).group_by(key)
        return list((await session.exec(stmt)).all())

    figures.by_channel = _counts(await grouped(Case.channel, requests), tuple(Channel))
    figures.requests_total = sum(figures.by_channel.values())
    month = local_month(Case.received_at, dialect, tz)
    by_month = dict(await grouped(month, requests))
    figures.by_month = {m: int(by_month.get(m, 0)) for m in range(1, 13)}
    cross = await session.exec(
        select(Case.channel, month, func.count()).where(requests).group_by(Case.channel, month)
    )
    found = {(str(c), int(m)): int(n) for c, m, n in cross.all()}
    figures.by_channel_month = {
        str(c): {m: found.get((str(c), m), 0) for m in range(1, 13)} for c in Channel
    }
    unit_rows = await session.exec(
        select(Unit.name, func.count())
        .select_from(Case)
        .outerjoin(Unit, col(Unit.id) == col(Case.unit_id))
        .where(requests)
        .group_by(Unit.name)
        .order_by(func.count().desc(), Unit.name)
    )
    figures.by_unit = {name: int(n) for name, n in unit_rows.all()}
    figures.decisions = _counts(
        await grouped(Case.decision, requests), (*Decision, PENDING), none_as=PENDING
    )
    refused = requests & (Case.decision == Decision.REFUSED)
    figures.refused_by_ground = _counts(
        await grouped(Case.refusal_ground, refused), PASAL_17_GROUNDS
    )
    figures.extended = int(
        await session.scalar(
            select(func.count()).where(requests & col(Case.extended_at).is_not(None))
        )
        or 0
    )
    received_on = local_date(Case.received_at, dialect, tz)
    decided_on = local_date(Case.decided_at, dialect, tz)
    decided = requests & col(Case.decided_at).is_not(None)
    pairs = await session.exec(
        select(received_on, decided_on, func.count())
        .where(decided)
        .group_by(received_on, decided_on)
    )
    figures.taken = durations(pairs.all(), DayCounter(rules.calendar), (short, hard))
    figures.late = int(
        await session.scalar(
            select(func.count()).where(decided & (decided_on > col(Case.due_date)))
        )
        or 0
    )
    objections = (Case.kind == CaseKind.OBJECTION) & period.contains(Case.received_at)
    figures.objections_by_ground = _counts(
        await grouped(Case.objection_ground, objections), PASAL_35_GROUNDS
    )
    figures.atasan_answers = _counts(
        await grouped(Case.atasan_decision, objections),
        (*AtasanDecision, PENDING),
        none_as=PENDING,
    )
    disputes = (Case.kind == CaseKind.OBJECTION) & period.contains(Case.dispute_filed_at)
    figures.disputes_by_outcome = _counts(
        await grouped(Case.dispute_outcome, disputes),
        (*DisputeOutcome, PENDING),
        none_as=PENDING,
    )
    decided_disputes = (Case.kind == CaseKind.OBJECTION) & period.contains(Case.dispute_decided_at)
    figures.dispute_results = _counts(
        await grouped(Case.dispute_outcome, decided_disputes), tuple(DisputeOutcome)
    )
    for attr, column in (
        ("court_filed", Case.court_filed_at),
        ("court_decided", Case.court_decided_at),
    ):
        where = (Case.kind == CaseKind.OBJECTION) & period.contains(column)
        setattr(figures, attr, int(await session.scalar(select(func.count()).where(where)) or 0))
    return figures
