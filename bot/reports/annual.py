"""The annual public-information service report (UU KIP Pasal 12; Perki 1/2021 Pasal 56).

Every figure of domain.md §6 comes from a grouped SQL query over the year's cases; only the
working days taken are finished in Python, once per distinct (receipt date, decision date) pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.reports.document import Document, Table, count_table
from bot.reports.sql import Period, local_date, local_month
from bot.reports.workdays import DayCounter, Durations, durations
from bot.workflow.objections import PASAL_35_GROUNDS
from bot.workflow.requests import PASAL_17_GROUNDS
from bot.workflow.rules import Rules
from store.enums import AtasanDecision, CaseKind, Channel, Decision, DisputeOutcome
from store.models import Case, Unit

PENDING = "pending"


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
            "disputes": {"total": self.disputes_total, "by_outcome": self.disputes_by_outcome},
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
    return figures


def annual_document(figures: AnnualFigures, language: str, body: str) -> Document:
    """The annual report as titled tables with charts and the notes on how it was counted."""

    def tr(key: str, **params: Any) -> str:
        return t(f"report.{key}", language, **params)

    short, hard = figures.limits
    taken, decisions = figures.taken, figures.decisions
    count_headers = (tr("col.item"), tr("col.count"))
    summary = [
        (tr("annual.requests_total"), figures.requests_total),
        (tr("annual.decided"), taken.count),
        (tr("annual.undecided"), decisions[PENDING]),
        *((tr(f"decision.{d.value}"), decisions[d.value]) for d in Decision),
        (tr("annual.extended"), figures.extended),
        (tr("annual.average_days"), taken.average()),
        (tr("annual.max_days"), taken.maximum),
        (tr("annual.within", days=short), taken.within_limit(short)),
        (tr("annual.within", days=hard), taken.within_limit(hard)),
        (tr("annual.late"), figures.late),
        (tr("annual.objections"), figures.objections_total),
        (tr("annual.disputes"), figures.disputes_total),
    ]
    total = tr("col.total")
    tables = (
        Table(tr("sheet.summary"), tr("annual.summary"), count_headers, tuple(summary)),
        count_table(
            tr("sheet.channel"),
            tr("annual.by_channel"),
            (tr("col.channel"), tr("col.requests")),
            [(tr(f"channel.{c}"), n) for c, n in figures.by_channel.items()],
            chart=True,
            total_label=total,
        ),
        count_table(
            tr("sheet.month"),
            tr("annual.by_month"),
            (tr("col.month"), tr("col.requests")),
            [(tr(f"month.{m}"), n) for m, n in figures.by_month.items()],
            chart=True,
            total_label=total,
        ),
        count_table(
            tr("sheet.unit"),
            tr("annual.by_unit"),
            (tr("col.unit"), tr("col.requests")),
            [(name or tr("annual.no_unit"), n) for name, n in figures.by_unit.items()],
            total_label=total,
        ),
        count_table(
            tr("sheet.time"),
            tr("annual.time_taken"),
            (tr("col.time_taken"), tr("col.requests")),
            [
                (tr("annual.band_within", days=short), taken.within_limit(short)),
                (
                    tr("annual.band_between", low=short + 1, high=hard),
                    taken.within_limit(hard) - taken.within_limit(short),
                ),
                (tr("annual.band_over", days=hard), taken.count - taken.within_limit(hard)),
                (tr("annual.undecided"), decisions[PENDING]),
            ],
            chart=True,
            total_label=total,
        ),
        count_table(
            tr("sheet.decision"),
            tr("annual.decisions"),
            (tr("col.decision"), tr("col.requests")),
            [(tr(f"decision.{d.value}"), decisions[d.value]) for d in Decision],
            chart=True,
            total_label=total,
        ),
        count_table(
            tr("sheet.refusal"),
            tr("annual.refusals"),
            (tr("col.pasal17"), tr("col.requests")),
            [(tr("annual.letter", letter=g), n) for g, n in figures.refused_by_ground.items()],
            total_label=total,
        ),
        count_table(
            tr("sheet.objection"),
            tr("annual.objection_grounds"),
            (tr("col.pasal35"), tr("col.objections")),
            [(tr(f"pasal35.{g}"), n) for g, n in figures.objections_by_ground.items()],
            total_label=total,
        ),
        count_table(
            tr("sheet.atasan"),
            tr("annual.atasan_answers"),
            (tr("col.atasan_answer"), tr("col.objections")),
            [(tr(f"atasan.{a}"), n) for a, n in figures.atasan_answers.items()],
            total_label=total,
        ),
        count_table(
            tr("sheet.dispute"),
            tr("annual.disputes_by_outcome"),
            (tr("col.dispute_outcome"), tr("col.disputes")),
            [(tr(f"dispute.{o}"), n) for o, n in figures.disputes_by_outcome.items()],
            total_label=total,
        ),
    )
    notes = (
        tr("annual.note_period", year=figures.year),
        tr("annual.note_days", tz=figures.timezone),
        tr("annual.note_limits", short=short, hard=hard),
    )
    return Document(
        title=tr("annual.title", year=figures.year),
        subtitle=figures.period.subtitle(body, language),
        tables=tables,
        notes=notes,
        language=language,
        data={**figures.as_json(), "body": body, "notes": list(notes)},
    )
