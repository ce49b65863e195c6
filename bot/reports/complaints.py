"""The complaint recap per unit, SP4N-LAPOR! style (seed 004), and the admins' timeliness.

Status counts, ratings and waiting times are grouped in SQL; working days are counted once per
distinct (unit or officer, start date, end date) group. The formulas are printed in the notes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.reports.complaint_officers import AdminRow, officer_rows
from bot.reports.document import Document, Table
from bot.reports.sql import Period
from bot.reports.workdays import DayCounter, Durations, round_half_up
from bot.workflow.rules import Rules
from store.enums import CaseKind, ComplaintStatus
from store.models import Case, Event, Unit

S = ComplaintStatus
# status -> JSON key, in the seed table's column order; not_our_authority is Loket's addition.
STATUS_KEYS: dict[str, str] = {
    S.UNVERIFIED: "unverified",
    S.DISPOSED: "not_followed_up",
    S.IN_PROCESS: "in_process",
    S.DONE: "done",
    S.ON_HOLD: "on_hold",
    S.ARCHIVED: "archived",
    S.NOT_OUR_AUTHORITY: "forwarded",
}
COUNTED = ("unverified", "not_followed_up", "in_process", "done")  # Total: without Tunda, Arsip


@dataclass
class UnitRow:
    """One line of the recap: status counts and the RTL, RHP and RV averages of one unit."""

    unit: str | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_KEYS.values(), 0))
    followup: Durations = field(default_factory=Durations)
    rating_sum: int = 0
    ratings: int = 0
    waiting: Durations = field(default_factory=Durations)

    @property
    def total(self) -> int:
        """Belum Terverifikasi + Belum Ditindaklanjuti + Proses + Selesai."""
        return sum(self.counts[key] for key in COUNTED)

    @property
    def pct_tl(self) -> float:
        """%TL = (Selesai + Proses) / Total x 100; 0 when the total is 0."""
        if not self.total:
            return 0.0
        share = Decimal(self.counts["done"] + self.counts["in_process"]) * 100 / self.total
        return float(round_half_up(share, 2))

    @property
    def rhp(self) -> float:
        """Average complainant rating (1-5) over rated complaints; 0 when none is rated."""
        if not self.ratings:
            return 0.0
        return float(round_half_up(Decimal(self.rating_sum) / self.ratings, 2))

    def absorb(self, other: UnitRow) -> None:
        """Add another row's counts into this one (for the total row)."""
        for key, n in other.counts.items():
            self.counts[key] += n
        self.rating_sum += other.rating_sum
        self.ratings += other.ratings
        for mine, theirs in ((self.followup, other.followup), (self.waiting, other.waiting)):
            mine.count += theirs.count
            mine.total += theirs.total
            mine.maximum = max(mine.maximum, theirs.maximum)

    def as_json(self, label: str | None = None) -> dict[str, Any]:
        """The JSON object of issue 6: unit, the status counts, total, pct_tl, rtl, rhp, rv."""
        return {
            "unit": label if label is not None else self.unit,
            **self.counts,
            "total": self.total,
            "pct_tl": self.pct_tl,
            "rtl": self.followup.average(),
            "rhp": self.rhp,
            "rv": self.waiting.average(),
        }


@dataclass
class ComplaintFigures:
    """The recap of complaints received in `period`, with statuses as they stand on `as_of`."""

    period: Period
    as_of: dt.date
    verify_days: int
    dispose_days: int
    units: list[UnitRow]
    total: UnitRow
    admins: list[AdminRow]


def status_then(as_of_end: dt.datetime) -> Any:
    """SQL: a case's status at the instant `as_of_end`, from the audit log's last transition
    before it (every transition records the status it led to); the current status if none."""
    last = (
        select(Event.to_status)
        .where(
            col(Event.case_id) == col(Case.id),
            col(Event.to_status).is_not(None),
            col(Event.at) < as_of_end,
        )
        .order_by(col(Event.at).desc(), col(Event.id).desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )
    return func.coalesce(last, Case.status)


async def complaint_figures(
    session: AsyncSession, rules: Rules, start: dt.date, end: dt.date, as_of: dt.date
) -> ComplaintFigures:
    """Aggregate the recap for complaints received from `start` to `end` (local), each with
    the status it had at the end of `as_of` (the recap's "status per" date).

    Every status change is audited with the status it led to (apply_transition, open_case and
    open_objection are the only writers of `status`), so a complaint with no transition after
    `as_of` still has the status it had then. One grouped scan counts every complaint of the
    period by its current status over the stored report columns; then only the complaints that
    changed after `as_of` (found through the index on `events.at`) are moved to the status they
    had then. The cost grows with the complaints changed since, not with those counted.
    """
    settings, tz = rules.settings, rules.settings.tz
    period = Period.of(start, end, tz)
    counter = DayCounter(rules.calendar)
    received_on = col(Case.received_on)
    complaints = (Case.kind == CaseKind.COMPLAINT) & received_on.between(start, end)
    as_of_end = Period.of(as_of, as_of, tz).until

    rows: dict[int | None, UnitRow] = {
        uid: UnitRow(name) for uid, name in (await session.exec(select(Unit.id, Unit.name))).all()
    }

    def row(unit_id: int | None) -> UnitRow:
        found = rows.get(unit_id)
        if found is None:  # not setdefault: it would build a row for every group
            found = rows[unit_id] = UnitRow(None)
        return found

    # RV counts the days an unverified complaint waits: (unit, received date) -> complaints.
    waiting: Counter[tuple[int | None, Any]] = Counter()
    statuses: Counter[tuple[int | None, str]] = Counter()
    # Stamped exactly when the complaint is disposed and followed up (report_columns.py).
    days = col(Case.working_days_taken)
    followed = days.is_not(None)
    unverified_since = case((Case.status == S.UNVERIFIED, received_on), else_=None)
    grouped = await session.exec(
        select(
            Case.unit_id,
            Case.status,
            unverified_since,
            func.count(),
            func.sum(Case.rating),
            func.count(col(Case.rating)),
            func.count().filter(followed),
            func.sum(days).filter(followed),
            func.max(days).filter(followed),
        )
        .where(complaints)
        .group_by(Case.unit_id, Case.status, unverified_since)
    )
    for unit_id, status, since, n, rating_sum, rated, f_n, f_sum, f_max in grouped:
        unit = row(unit_id)
        statuses[(unit_id, status)] += int(n)
        unit.rating_sum += int(rating_sum or 0)
        unit.ratings += int(rated)
        if f_n:
            unit.followup.count += int(f_n)
            unit.followup.total += int(f_sum)
            unit.followup.maximum = max(unit.followup.maximum, int(f_max))
        if since is not None:
            waiting[(unit_id, since)] += int(n)

    changed_since = select(Event.case_id).where(
        col(Event.at) >= as_of_end, col(Event.to_status).is_not(None)
    )
    changed = await session.exec(
        select(Case.unit_id, Case.status, received_on, status_then(as_of_end)).where(
            complaints & col(Case.id).in_(changed_since)
        )
    )
    for unit_id, now_status, received, then in changed:
        statuses[(unit_id, now_status)] -= 1
        statuses[(unit_id, then)] += 1
        if now_status == S.UNVERIFIED:
            waiting[(unit_id, received)] -= 1
        if then == S.UNVERIFIED:
            waiting[(unit_id, received)] += 1
    for (unit_id, status), n in statuses.items():
        row(unit_id).counts[STATUS_KEYS[status]] += n
    for (unit_id, received), n in sorted(waiting.items(), key=lambda item: str(item[0])):
        if n:
            row(unit_id).waiting.add(counter.between(received, as_of), n)

    units = sorted(
        (r for uid, r in rows.items() if uid is not None),
        key=lambda r: (-r.total, r.unit or ""),
    )
    unassigned = rows.get(None)
    if unassigned is not None and any(unassigned.counts.values()):
        units.append(unassigned)
    total = UnitRow("total")
    for r in units:
        total.absorb(r)
    admins = await officer_rows(session, rules, period, counter)
    return ComplaintFigures(
        period,
        as_of,
        settings.complaint_verify_days,
        settings.report_disposition_days,
        units,
        total,
        admins,
    )


def _unit_cells(row: UnitRow, label: str) -> tuple[Any, ...]:
    c = row.counts
    return (
        label,
        *(c[key] for key in STATUS_KEYS.values()),
        row.total,
        row.pct_tl,
        row.followup.average(),
        # Printed with two decimals as SP4N-LAPOR! does ("5.00"); "0" when nobody rated.
        Decimal(str(row.rhp)).quantize(Decimal("0.01")) if row.ratings else 0,
        row.waiting.average(),
    )


def complaints_document(figures: ComplaintFigures, language: str, body: str) -> Document:
    """The recap as the seed's tables (per unit, summary, admins) with the formulas in notes."""

    def tr(key: str, **params: Any) -> str:
        return t(f"report.{key}", language, **params)

    vdays, ddays = figures.verify_days, figures.dispose_days
    no_unit = tr("complaints.no_unit")
    status_headers = (
        *(tr(f"complaints.col.{key}") for key in STATUS_KEYS.values()),
        tr("complaints.col.total"),
        "%TL",
        "RTL",
        "RHP",
        "RV",
    )
    total_cells = _unit_cells(figures.total, tr("col.total"))
    admins = figures.admins
    admin_json = [a.as_json(vdays, ddays) for a in admins]
    tables = (
        Table(
            tr("sheet.recap"),
            tr("complaints.by_unit"),
            (tr("col.unit"), *status_headers),
            tuple(_unit_cells(r, r.unit or no_unit) for r in figures.units),
            footer=total_cells,
        ),
        Table(
            tr("sheet.summary"),
            tr("complaints.summary"),
            status_headers,
            (total_cells[1:],),
        ),
        Table(
            tr("sheet.verification"),
            tr("complaints.verification"),
            (
                tr("col.name"),
                tr("complaints.col.within", days=vdays),
                tr("complaints.col.after", days=vdays),
                tr("complaints.col.average"),
            ),
            tuple(
                (a["name"], a["verified_within"], a["verified_after"], a["verify_average_days"])
                for a in admin_json
            ),
        ),
        Table(
            tr("sheet.activity"),
            tr("complaints.activity"),
            (
                tr("col.name"),
                tr("complaints.col.verifications"),
                tr("complaints.col.on_hold"),
                tr("complaints.col.archived"),
            ),
            tuple((a["name"], a["verifications"], a["on_hold"], a["archived"]) for a in admin_json),
        ),
        Table(
            tr("sheet.disposition"),
            tr("complaints.dispositions"),
            (
                tr("col.name"),
                tr("complaints.col.dispositions"),
                tr("complaints.col.within", days=ddays),
                tr("complaints.col.after", days=ddays),
            ),
            tuple(
                (a["name"], a["dispositions"], a["dispositions_within"], a["dispositions_after"])
                for a in admin_json
            ),
        ),
    )
    notes = tuple(
        tr(f"complaints.note_{key}", as_of=figures.as_of.isoformat(), verify=vdays, dispose=ddays)
        for key in ("scope", "total", "pct_tl", "rtl", "rhp", "rv", "admins", "days")
    )
    period = figures.period
    return Document(
        title=tr("complaints.title"),
        subtitle=period.subtitle(body, language),
        tables=tables,
        notes=notes,
        language=language,
        data={
            "report": "complaints",
            "body": body,
            "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
            "as_of": figures.as_of.isoformat(),
            "units": [r.as_json(r.unit or no_unit) for r in figures.units],
            "total": figures.total.as_json(tr("col.total")),
            "admins": admin_json,
            "notes": list(notes),
        },
    )
