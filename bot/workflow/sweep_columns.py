"""What the scheduler's sweep selects on, stored on the case when it changes (issue #11, point 1).

The sweep asks, per reminder kind, one indexed question: which cases crossed this milestone and
have no sent-reminder row. The milestones are working days counted from a stored date:

- `due_date` (stored by `refresh_derived`): the request and objection milestones and every
  overdue reminder; `received_on` (a report column): the unverified complaint's;
- `followup_from_on`: the local date a disposed complaint's follow-up clock runs from (its
  reopening, else its disposition, else receipt), while it awaits a follow-up; NULL otherwise;
- `progress_next_on`: the next day a weekly "still being processed" update falls due, while
  the case gets them; NULL otherwise (so closed cases never enter the sweep). The workflow
  sets it to receipt + REQUESTER_PROGRESS_EVERY_DAYS, the scheduler advances it as it sends;
- `reminder_next_on`: the next day the reminder jobs must look at the case (a milestone, an
  overdue day, or for a complaint awaiting the complainant its automatic close), while the
  case gets them; NULL otherwise. A write sets it to the day of receipt, a safe lower bound:
  the next tick reads the case, claims what is due and moves the day on to the case's next
  milestone (scheduler/jobs/due_sets.py, in the transaction of the claims). It only finds
  candidates: sent_reminders decides what was sent, so a stale day costs a read, never a
  duplicate, and it is never later than the case's next reminder.

Rows written another way (the migration of existing databases, bulk loads, a restamp after the
calendar inputs changed: bot/workflow/restamp.py) are stamped set-wise by `stamp_all_sweep`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlmodel import col

from bot.reports.sql import local_date
from bot.workflow.rules import Rules
from store.enums import CLOSED_STATUSES, CaseKind, ComplaintStatus, ObjectionStatus, RequestStatus
from store.models import Case

# No weekly update while the case is closed, incomplete or on hold.
NO_PROGRESS_STATUSES = (*sorted(CLOSED_STATUSES), RequestStatus.INCOMPLETE, ComplaintStatus.ON_HOLD)
AWAITING_FOLLOWUP = (ComplaintStatus.DISPOSED, ComplaintStatus.IN_PROCESS)
# The statuses in which each kind of case gets officer reminders (scheduler/jobs/).
REQUEST_REMINDED = (
    RequestStatus.INCOMPLETE,
    RequestStatus.REGISTERED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.EXTENDED,
)
COMPLAINT_REMINDED = (
    ComplaintStatus.UNVERIFIED,
    ComplaintStatus.DISPOSED,
    ComplaintStatus.IN_PROCESS,
)
OBJECTION_REMINDED = (ObjectionStatus.REGISTERED,)
# A followed-up complaint in process awaits the complainant: the sweep closes it by itself.
AWAITING_COMPLAINANT = ComplaintStatus.IN_PROCESS


def gets_progress_updates(case: Case) -> bool:
    """True while the requester of `case` is owed the weekly progress update."""
    return (
        case.status not in NO_PROGRESS_STATUSES
        and case.requester_id is not None
        and case.due_date is not None
        and case.followed_up_at is None  # a posted follow-up awaits the complainant
    )


def awaits_followup(case: Case) -> bool:
    """True while a disposed complaint waits for the unit's follow-up."""
    return (
        case.kind == CaseKind.COMPLAINT
        and case.status in AWAITING_FOLLOWUP
        and case.followed_up_at is None
    )


def gets_reminders(case: Case) -> bool:
    """True while a reminder job (or the complaint auto-close) may act on `case` some day."""
    if case.due_date is None:
        return False
    if case.kind == CaseKind.INFORMATION_REQUEST:
        return case.status in REQUEST_REMINDED
    if case.kind == CaseKind.OBJECTION:
        return case.status in OBJECTION_REMINDED
    if case.kind != CaseKind.COMPLAINT:
        return False
    if case.followed_up_at is None:
        return case.status in COMPLAINT_REMINDED
    return case.status == AWAITING_COMPLAINANT


def stamp_sweep_columns(case: Case, rules: Rules) -> None:
    """Set the case's sweep columns from its current fields (the module docstring lists them);
    an already scheduled progress update keeps its day."""
    case.followup_from_on = (
        rules.local_date(case.reopened_at or case.disposed_at or case.received_at)
        if awaits_followup(case)
        else None
    )
    if not gets_progress_updates(case):
        case.progress_next_on = None
    elif case.progress_next_on is None:
        every = dt.timedelta(days=rules.settings.requester_progress_every_days)
        case.progress_next_on = rules.local_date(case.received_at) + every
    case.reminder_next_on = rules.local_date(case.received_at) if gets_reminders(case) else None


def _progress_sql() -> object:
    return (
        col(Case.status).not_in([str(s) for s in NO_PROGRESS_STATUSES])
        & col(Case.requester_id).is_not(None)
        & col(Case.due_date).is_not(None)
        & col(Case.followed_up_at).is_(None)
    )


def _reminders_sql() -> object:
    def kind_in(kind: CaseKind, statuses: tuple[str, ...]) -> object:
        return (col(Case.kind) == kind.value) & col(Case.status).in_([str(s) for s in statuses])

    complaint = col(Case.kind) == CaseKind.COMPLAINT.value
    return col(Case.due_date).is_not(None) & (
        kind_in(CaseKind.INFORMATION_REQUEST, REQUEST_REMINDED)
        | kind_in(CaseKind.OBJECTION, OBJECTION_REMINDED)
        | (
            complaint
            & col(Case.followed_up_at).is_(None)
            & col(Case.status).in_([str(s) for s in COMPLAINT_REMINDED])
        )
        | (
            complaint
            & col(Case.followed_up_at).is_not(None)
            & (col(Case.status) == str(AWAITING_COMPLAINANT))
        )
    )


def stamp_all_sweep(conn: Connection, rules: Rules) -> None:
    """Stamp the sweep columns of every case in a few set-based statements (bulk loads, a
    restamp); the result equals `stamp_sweep_columns` on an unstamped case."""
    stamp_all_milestones(conn, rules)
    stamp_all_next_reminder(conn, rules)


def stamp_all_next_reminder(conn: Connection, rules: Rules) -> None:
    """Set every case's `reminder_next_on` as `stamp_sweep_columns` does, in two statements
    (also the data step of migration 0020_sweep_next_reminder)."""
    received = local_date(col(Case.received_at), conn.dialect.name, rules.settings.tz)
    conn.execute(update(Case).values(reminder_next_on=None))
    conn.execute(update(Case).where(_reminders_sql()).values(reminder_next_on=received))


def stamp_all_milestones(conn: Connection, rules: Rules) -> None:
    """Set every case's `followup_from_on` and `progress_next_on` as `stamp_sweep_columns`
    does (also the data step of migration 0019_sweep_milestones, which predates the others)."""
    dialect, tz = conn.dialect.name, rules.settings.tz
    waiting = (
        (col(Case.kind) == CaseKind.COMPLAINT.value)
        & col(Case.status).in_([s.value for s in AWAITING_FOLLOWUP])
        & col(Case.followed_up_at).is_(None)
    )
    start = func.coalesce(col(Case.reopened_at), col(Case.disposed_at), col(Case.received_at))
    conn.execute(update(Case).values(followup_from_on=None, progress_next_on=None))
    conn.execute(
        update(Case).where(waiting).values(followup_from_on=local_date(start, dialect, tz))
    )
    # Each eligible case first holds its receipt date, then each receipt date is moved on by
    # one period, newest first so no case moved already matches a later (older) date.
    conn.execute(update(Case).where(_progress_sql()).values(progress_next_on=Case.received_on))
    held = select(col(Case.progress_next_on)).where(col(Case.progress_next_on).is_not(None))
    every = dt.timedelta(days=rules.settings.requester_progress_every_days)
    days = sorted(set(conn.execute(held.distinct()).scalars()), reverse=True)
    if days:
        conn.execute(
            update(Case)
            .where(col(Case.progress_next_on) == bindparam("day"))
            .values(progress_next_on=bindparam("next_on")),
            [{"day": day, "next_on": day + every} for day in days],
        )
