"""What the reports group by, stored on the case when it changes (issue #11, point 5).

The annual report and the complaint recap used to apply date()/strftime() to every row and count
working days per (start, end) pair at report time. Instead every write of a case through the
workflow (open_case, open_objection, apply_transition: all call `refresh_derived`) stamps:

- `received_on`, `received_year`, `received_month`: the local calendar date of receipt in the
  body's time zone (TIMEZONE), so a year or period is an indexed equality or range;
- `decided_on`: the local date of an information request's decision (for "late": after due);
- `working_days_taken`: information requests, receipt to decision (UU KIP Pasal 22); complaints,
  disposition to follow-up (the recap's RTL). NULL while the step has not happened.

Rows written another way (the migration of existing databases, bulk loads) are stamped in one
set-based pass by `stamp_all`; a calendar override shifts the stored working days of the cases
whose interval spans the day (`shift_for_override`), as the report counted them before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, Date, Integer, MetaData, Table, and_, select, update
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.clock import local_midnight
from bot.reports.sql import as_date, local_date, local_month, local_year
from bot.reports.workdays import DayCounter
from bot.settings import Settings
from bot.workflow.calendar_stamp import record_fingerprint
from bot.workflow.deadlines import compute_due_date
from bot.workflow.event_columns import stamp_all_events
from bot.workflow.rules import Rules, build_calendar
from bot.workflow.sweep_columns import (
    stamp_all_milestones,
    stamp_all_next_reminder,
    stamp_sweep_columns,
)
from store.enums import CaseKind
from store.models import CalendarOverride, Case


def working_days_taken(case: Case, rules: Rules) -> int | None:
    """Working days the case's measured step took, or None while it has not happened."""
    between = rules.calendar.working_days_between
    if case.kind == CaseKind.INFORMATION_REQUEST and case.decided_at is not None:
        return between(rules.local_date(case.received_at), rules.local_date(case.decided_at))
    if (
        case.kind == CaseKind.COMPLAINT
        and case.disposed_at is not None
        and case.followed_up_at is not None
    ):
        return between(rules.local_date(case.disposed_at), rules.local_date(case.followed_up_at))
    return None


def stamp_report_columns(case: Case, rules: Rules) -> None:
    """Set the case's report columns from its current fields (the module docstring lists them)."""
    received = rules.local_date(case.received_at)
    case.received_on, case.received_year, case.received_month = (
        received,
        received.year,
        received.month,
    )
    case.decided_on = rules.local_date(case.decided_at) if case.decided_at else None
    case.working_days_taken = working_days_taken(case, rules)


def refresh_derived(case: Case, rules: Rules) -> None:
    """Recompute everything stored on a case that follows from its other fields: the due date,
    the report columns and the sweep columns. The one call every workflow write makes before it
    is saved."""
    case.due_date = compute_due_date(case, rules)
    stamp_report_columns(case, rules)
    stamp_sweep_columns(case, rules)


_DAYS = Table(
    "report_day_pairs",
    MetaData(),
    Column("start_on", Date, primary_key=True),
    Column("end_on", Date, primary_key=True),
    Column("days", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


def _fill_days(conn: Connection, start: Any, end: Any, where: Any, rules: Rules) -> None:
    """Set working_days_taken = working days from `start` to `end` (SQL local dates) on the
    rows matching `where`: one DISTINCT query, the days counted once per date pair in Python,
    then one UPDATE through a temporary table of the pairs."""
    pairs = conn.execute(select(start, end).where(where).distinct()).all()
    if not pairs:
        return
    counter = DayCounter(rules.calendar)
    _DAYS.create(conn, checkfirst=True)
    conn.execute(_DAYS.delete())
    conn.execute(
        _DAYS.insert(),
        [
            {"start_on": as_date(s), "end_on": as_date(e), "days": counter.between(s, e)}
            for s, e in pairs
        ],
    )
    days = (
        select(_DAYS.c.days)
        .where(and_(_DAYS.c.start_on == start, _DAYS.c.end_on == end))
        .scalar_subquery()
    )
    conn.execute(update(Case).where(where).values(working_days_taken=days))
    _DAYS.drop(conn)


def stamp_all(conn: Connection, rules: Rules) -> None:
    """Stamp the report columns of every case in a few set-based statements (for the migration
    of existing rows and bulk loads); the result equals `stamp_report_columns` per case."""
    dialect, tz = conn.dialect.name, rules.settings.tz
    received = col(Case.received_at)
    conn.execute(
        update(Case).values(
            received_on=local_date(received, dialect, tz),
            received_year=local_year(received, dialect, tz),
            received_month=local_month(received, dialect, tz),
            decided_on=local_date(col(Case.decided_at), dialect, tz),
            working_days_taken=None,
        )
    )
    request = (Case.kind == CaseKind.INFORMATION_REQUEST) & col(Case.decided_on).is_not(None)
    _fill_days(conn, col(Case.received_on), col(Case.decided_on), request, rules)
    followed = (
        (Case.kind == CaseKind.COMPLAINT)
        & col(Case.disposed_at).is_not(None)
        & col(Case.followed_up_at).is_not(None)
    )
    disposed_on = local_date(col(Case.disposed_at), dialect, tz)
    followed_on = local_date(col(Case.followed_up_at), dialect, tz)
    _fill_days(conn, disposed_on, followed_on, followed, rules)


def shift_for_override(day: dt.date, delta: int, rules: Rules) -> list[Any]:
    """UPDATE statements adding `delta` (+1: `day` became a working day, -1: it closed) to the
    stored working days of every case whose measured interval (start, end] contains `day`."""
    if delta == 0:
        return []
    tz = rules.settings.tz
    days = col(Case.working_days_taken)
    request = (
        (Case.kind == CaseKind.INFORMATION_REQUEST)
        & days.is_not(None)
        & (col(Case.received_on) < day)
        & (col(Case.decided_on) >= day)
    )
    # local date(disposed) < day <= local date(followed): compared as instants, no function.
    complaint = (
        (Case.kind == CaseKind.COMPLAINT)
        & days.is_not(None)
        & (col(Case.disposed_at) < local_midnight(day, tz))
        & (col(Case.followed_up_at) >= local_midnight(day, tz))
    )
    return [
        update(Case).where(where).values(working_days_taken=days + delta)
        for where in (request, complaint)
    ]


def migration_steps(settings: Settings) -> dict[str, Any]:
    """The data steps `store.migrate.upgrade` hands to the migrations: `report_columns`,
    `sweep_columns` and `sweep_next_reminder` stamp every existing case under these settings
    and the calendar overrides stored (`sweep_columns` also records the calendar fingerprint
    they were stamped under); `recap_event_columns` stamps every existing event from its case
    and TIMEZONE."""

    def rules_of(conn: Connection) -> Rules:
        rows = conn.execute(select(CalendarOverride.__table__)).mappings().all()  # type: ignore[attr-defined]
        overrides = [CalendarOverride(**row) for row in rows]
        return Rules(settings=settings, calendar=build_calendar(settings, overrides))

    def report_columns(conn: Connection) -> None:
        stamp_all(conn, rules_of(conn))

    def sweep_columns(conn: Connection) -> None:
        stamp_all_milestones(conn, rules_of(conn))
        record_fingerprint(conn, settings)

    def recap_event_columns(conn: Connection) -> None:
        stamp_all_events(conn, rules_of(conn))

    def sweep_next_reminder(conn: Connection) -> None:
        stamp_all_next_reminder(conn, rules_of(conn))

    return {
        "report_columns": report_columns,
        "sweep_columns": sweep_columns,
        "recap_event_columns": recap_event_columns,
        "sweep_next_reminder": sweep_next_reminder,
    }
