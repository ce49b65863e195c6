"""The annual public-information service report (UU KIP Pasal 12; Perki 1/2021 Pasal 56).

This module counts; bot.reports.annual_layout lays the counts out as the seed 001 document.

Every figure of domain.md §6 comes from conditional aggregation over the report columns stored
on each case (local receipt year and month, decision date, working days taken), so a year of
requests is read once through an index and no date is converted per row at report time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.reports.annual_figures import PENDING, AnnualFigures
from bot.reports.annual_layout import annual_document
from bot.reports.sql import Period, Tally
from bot.reports.workdays import Durations
from bot.workflow.objections import PASAL_35_GROUNDS
from bot.workflow.requests import PASAL_17_GROUNDS
from bot.workflow.rules import Rules
from store.enums import AtasanDecision, CaseKind, Channel, Decision, DisputeOutcome
from store.models import Case, Unit

__all__ = ["PENDING", "AnnualFigures", "annual_document", "annual_figures"]


async def _request_groups(session: AsyncSession, where: Any, limits: tuple[int, int]) -> list[Any]:
    """One scan of the year's requests, grouped by month, channel, decision and refusal ground
    (at most a few hundred groups), with the duration figures aggregated inside each group."""
    # Stamped for every decided request, so "decided" is read from the covering index.
    days = col(Case.working_days_taken)
    decided = days.is_not(None)
    stmt = (
        select(
            Case.received_month,
            Case.channel,
            Case.decision,
            Case.refusal_ground,
            func.count(),
            func.count().filter(col(Case.extended_at).is_not(None)),
            func.count().filter(decided),
            func.sum(days).filter(decided),
            func.max(days).filter(decided),
            *(func.count().filter(decided & (days <= limit)) for limit in limits),
            func.count().filter(decided & (col(Case.decided_on) > col(Case.due_date))),
        )
        .where(where)
        .group_by(Case.received_month, Case.channel, Case.decision, Case.refusal_ground)
    )
    return list((await session.exec(stmt)).all())


def _fold_requests(figures: AnnualFigures, groups: list[Any]) -> None:
    """Add the grouped rows into the figures: counts per key (zeros included), durations."""
    channels, grounds = {str(c) for c in Channel}, set(PASAL_17_GROUNDS)
    by_channel = dict.fromkeys(map(str, Channel), 0)
    by_month = dict.fromkeys(range(1, 13), 0)
    cross = {c: dict.fromkeys(range(1, 13), 0) for c in by_channel}
    decisions = dict.fromkeys((*map(str, Decision), PENDING), 0)
    refused = dict.fromkeys(PASAL_17_GROUNDS, 0)
    taken = figures.taken = Durations(limits=figures.limits)
    for month, channel, decision, ground, n, extended, count, total, most, *within, late in groups:
        if channel in channels:
            by_channel[channel] += n
            if month in by_month:
                cross[channel][month] += n
        if month in by_month:
            by_month[month] += n
        key = PENDING if decision is None else str(decision)
        if key in decisions:
            decisions[key] += n
        if decision == Decision.REFUSED and ground in grounds:
            refused[ground] += n
        figures.extended += extended
        figures.late += late
        taken.count += count
        taken.total += int(total or 0)
        taken.maximum = max(taken.maximum, int(most or 0))
        for limit, cases in zip(figures.limits, within, strict=True):
            taken.within[limit] = taken.within.get(limit, 0) + cases
    figures.by_channel, figures.by_month, figures.by_channel_month = by_channel, by_month, cross
    figures.requests_total = sum(by_channel.values())
    figures.decisions, figures.refused_by_ground = decisions, refused


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
    index-only scan per unit, one scan of objections."""
    settings, tz = rules.settings, rules.settings.tz
    period = Period.year(year, tz)
    short = settings.request_response_days
    hard = short + settings.request_extension_days
    figures = AnnualFigures(
        year=year, period=period, limits=(short, hard), timezone=settings.timezone
    )
    requests = (Case.kind == CaseKind.INFORMATION_REQUEST) & (col(Case.received_year) == year)
    _fold_requests(figures, await _request_groups(session, requests, (short, hard)))
    # Grouped on the (kind, year, unit) index alone, then named (unit names are unique).
    per_unit = (
        select(Case.unit_id, func.count().label("n"))
        .where(requests)
        .group_by(Case.unit_id)
        .subquery()
    )
    unit_rows = await session.exec(
        select(Unit.name, per_unit.c.n)
        .select_from(per_unit)
        .outerjoin(Unit, col(Unit.id) == per_unit.c.unit_id)
        .order_by(per_unit.c.n.desc(), Unit.name)
    )
    figures.by_unit = {name: int(n) for name, n in unit_rows.all()}
    o = await _objection_tally(period).run(session, Case, Case.kind == CaseKind.OBJECTION)
    figures.objections_by_ground = _keyed(o, "g", PASAL_35_GROUNDS)
    figures.atasan_answers = _keyed(o, "a", (*AtasanDecision, PENDING))
    figures.disputes_by_outcome = _keyed(o, "o", (*DisputeOutcome, PENDING))
    figures.dispute_results = _keyed(o, "r", tuple(DisputeOutcome))
    figures.court_filed, figures.court_decided = int(o["court_filed"]), int(o["court_decided"])
    return figures
