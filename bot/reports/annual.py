"""The annual public-information service report (UU KIP Pasal 12; Perki 1/2021 Pasal 56).

This module counts; bot.reports.annual_layout lays the counts out as the seed 001 document.

Every figure of domain.md §6 comes from conditional aggregation over the report columns stored
on each case (local receipt year and month, decision date, working days taken), so a year of
requests is read once through an index and no date is converted per row at report time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.annual_layout import PENDING, annual_document
from bot.reports.sql import Period, Tally
from bot.reports.workdays import Durations
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


def _durations(tally: dict[str, Any], limits: tuple[int, int]) -> Durations:
    """Durations from the aggregated days: as if each case had been added one by one."""
    result = Durations(limits=limits, count=int(tally["decided"]))
    result.total = int(tally["days_sum"] or 0)
    result.maximum = int(tally["days_max"] or 0)
    for i, limit in enumerate(limits):
        result.within[limit] = result.within.get(limit, 0) + int(tally[f"within_{i}"])
    return result


def _request_tally(short: int, hard: int) -> Tally:
    """Every figure over the year's information requests, for one scan."""
    tally = Tally()
    for channel in Channel:
        tally.count(f"ch:{channel}", Case.channel == channel)
        for month in range(1, 13):
            in_month = (Case.channel == channel) & (Case.received_month == month)
            tally.count(f"cm:{channel}:{month}", in_month)
    for month in range(1, 13):
        tally.count(f"m:{month}", Case.received_month == month)
    for decision in Decision:
        tally.count(f"d:{decision}", Case.decision == decision)
    tally.count(f"d:{PENDING}", col(Case.decision).is_(None))
    for ground in PASAL_17_GROUNDS:
        refused = (Case.decision == Decision.REFUSED) & (Case.refusal_ground == ground)
        tally.count(f"g:{ground}", refused)
    tally.count("extended", col(Case.extended_at).is_not(None))
    decided = col(Case.decided_at).is_not(None)
    days = col(Case.working_days_taken)
    tally.count("decided", decided)
    tally.add("days_sum", func.sum(days), decided)
    tally.add("days_max", func.max(days), decided)
    for i, limit in enumerate((short, hard)):
        tally.count(f"within_{i}", decided & (days <= limit))
    tally.count("late", decided & (col(Case.decided_on) > col(Case.due_date)))
    return tally


def _objection_tally(period: Period) -> Tally:
    """Every figure over objections, disputes and court cases, for one scan of objections."""
    tally = Tally()
    received = period.contains(Case.received_at)
    for ground in PASAL_35_GROUNDS:
        tally.count(f"g:{ground}", received & (Case.objection_ground == ground))
    for answer in AtasanDecision:
        tally.count(f"a:{answer}", received & (Case.atasan_decision == answer))
    tally.count(f"a:{PENDING}", received & col(Case.atasan_decision).is_(None))
    filed = period.contains(Case.dispute_filed_at)
    decided = period.contains(Case.dispute_decided_at)
    for outcome in DisputeOutcome:
        tally.count(f"o:{outcome}", filed & (Case.dispute_outcome == outcome))
        tally.count(f"r:{outcome}", decided & (Case.dispute_outcome == outcome))
    tally.count(f"o:{PENDING}", filed & col(Case.dispute_outcome).is_(None))
    tally.count("court_filed", period.contains(Case.court_filed_at))
    tally.count("court_decided", period.contains(Case.court_decided_at))
    return tally


def _keyed(tally: dict[str, Any], prefix: str, keys: tuple[str, ...]) -> dict[str, int]:
    return {str(key): int(tally[f"{prefix}:{key}"]) for key in keys}


async def annual_figures(session: AsyncSession, rules: Rules, year: int) -> AnnualFigures:
    """Aggregate the annual report for `year` (local calendar year) from the store: one scan of
    the year's requests over the stored report columns (bot/workflow/report_columns.py), one
    grouped index scan per unit, one scan of objections."""
    settings, tz = rules.settings, rules.settings.tz
    period = Period.year(year, tz)
    short = settings.request_response_days
    hard = short + settings.request_extension_days
    figures = AnnualFigures(
        year=year, period=period, limits=(short, hard), timezone=settings.timezone
    )
    requests = (Case.kind == CaseKind.INFORMATION_REQUEST) & (col(Case.received_year) == year)
    r = await _request_tally(short, hard).run(session, Case, requests)
    figures.by_channel = _keyed(r, "ch", tuple(Channel))
    figures.requests_total = sum(figures.by_channel.values())
    figures.by_month = {m: int(r[f"m:{m}"]) for m in range(1, 13)}
    figures.by_channel_month = {
        str(c): {m: int(r[f"cm:{c}:{m}"]) for m in range(1, 13)} for c in Channel
    }
    figures.decisions = _keyed(r, "d", (*Decision, PENDING))
    figures.refused_by_ground = _keyed(r, "g", PASAL_17_GROUNDS)
    figures.extended = int(r["extended"])
    figures.taken = _durations(r, (short, hard))
    figures.late = int(r["late"])
    unit_rows = await session.exec(
        select(Unit.name, func.count())
        .select_from(Case)
        .outerjoin(Unit, col(Unit.id) == col(Case.unit_id))
        .where(requests)
        .group_by(Unit.name)
        .order_by(func.count().desc(), Unit.name)
    )
    figures.by_unit = {name: int(n) for name, n in unit_rows.all()}
    o = await _objection_tally(period).run(session, Case, Case.kind == CaseKind.OBJECTION)
    figures.objections_by_ground = _keyed(o, "g", PASAL_35_GROUNDS)
    figures.atasan_answers = _keyed(o, "a", (*AtasanDecision, PENDING))
    figures.disputes_by_outcome = _keyed(o, "o", (*DisputeOutcome, PENDING))
    figures.dispute_results = _keyed(o, "r", tuple(DisputeOutcome))
    figures.court_filed, figures.court_decided = int(o["court_filed"]), int(o["court_decided"])
    return figures
