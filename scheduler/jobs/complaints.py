"""Complaint reminders and the automatic close (SP4N-LAPOR! style; domain.md §4).

Unverified after COMPLAINT_UNVERIFIED_REMIND_DAYS working days: the admins. Disposed without a
follow-up: the unit after each of COMPLAINT_FOLLOWUP_REMIND_DAYS working days (default 3 and 5),
then daily once overdue, copied to the PPID Utama and the Atasan PPID. A follow-up the
complainant has not answered for COMPLAINT_AUTOCLOSE_DAYS working days closes the case, and the
requester-update producer tells the complainant so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import SYSTEM
from bot.notify.recipients import Directory
from bot.notify.send_windows import in_office_hours
from bot.workflow.complaints import close
from bot.workflow.rules import Rules
from bot.workflow.sweep_columns import AWAITING_FOLLOWUP
from scheduler.jobs.due_sets import case_batches, milestone_runs, unreminded
from scheduler.jobs.reminders import (
    Milestone,
    Outgoing,
    claim,
    current_milestone,
    milestone_reminder,
    overdue_reminder,
    overdue_where,
)
from store.enums import CaseKind, ComplaintStatus, Role
from store.models import Case

ESCALATE_TO = (Role.PPID_UTAMA, Role.ATASAN)
KIND = CaseKind.COMPLAINT.value
REMINDED = (ComplaintStatus.UNVERIFIED, ComplaintStatus.DISPOSED, ComplaintStatus.IN_PROCESS)


def _followups(rules: Rules, start: dt.date, due: dt.date | None) -> list[Milestone]:
    """The follow-up milestones of a complaint whose follow-up clock runs from `start`."""
    days = sorted(set(rules.settings.complaint_followup_remind_days))
    dates = [rules.calendar.add_working_days(start, n) for n in days]
    return [
        Milestone(
            on,
            f"complaint.followup{n}",
            "sched.officer.due_today" if on == due else "sched.officer.complaint_followup",
        )
        for n, on in zip(days, dates, strict=True)
    ]


def _unverified(rules: Rules, received: dt.date) -> list[Milestone]:
    on = rules.calendar.add_working_days(received, rules.settings.complaint_unverified_remind_days)
    return [Milestone(on, "complaint.unverified", "sched.officer.complaint_unverified")]


async def complaint_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every complaint awaiting verification or a follow-up."""
    if not in_office_hours(now, rules):
        return 0
    today, language = rules.local_date(now), rules.settings.language
    directory = await Directory.load(session)
    desk = directory.role_recipients((Role.ADMIN,)) or directory.role_recipients((Role.PPID_UTAMA,))
    escalation = directory.role_recipients(ESCALATE_TO)
    base = (
        col(Case.kind) == KIND,
        col(Case.due_date).is_not(None),
        col(Case.followed_up_at).is_(None),  # a posted follow-up waits for the complainant
    )
    unverified = col(Case.status) == ComplaintStatus.UNVERIFIED.value
    disposed = col(Case.status).in_([s.value for s in AWAITING_FOLLOWUP])

    def team(row: Any) -> list[Any]:
        if row.status == ComplaintStatus.UNVERIFIED:
            return desk
        return directory.case_team(row.assigned_officer_id, row.unit_id, language)

    statuses = col(Case.status).in_([s.value for s in REMINDED])
    out = Outgoing(session, now)
    async for batch in case_batches(session, *base, statuses, *overdue_where(KIND, today)):
        for row in batch:
            await out.add(
                overdue_reminder(row, rules, today, team=team(row), escalation=escalation)
            )
    for status, column, milestones_of in (
        (unverified, col(Case.received_on), lambda d: _unverified(rules, d)),
        (disposed, col(Case.followup_from_on), lambda d: _followups(rules, d, None)),
    ):
        last = max(milestones_of(today), key=lambda m: m.on).kind  # reached last, stays current
        kinds = milestone_runs(
            lambda day, of=milestones_of: _kind(current_milestone(of(day), today)),
            today,
            backwards=True,
            final=last,
        )
        for run in kinds:
            where = (status, col(Case.due_date) >= today, run.where(column))
            fresh = unreminded(run.kind, col(Case.due_date))
            async for batch in case_batches(session, *base, *where, fresh):
                for row in batch:
                    milestones = _milestones_of(row, rules)
                    await out.add(
                        milestone_reminder(row, rules, today, milestones=milestones, team=team(row))
                    )
    return await out.done()


def _kind(milestone: Milestone | None) -> str | None:
    return milestone.kind if milestone else None


def _milestones_of(row: Any, rules: Rules) -> list[Milestone]:
    """A complaint's milestones from its own instants (as the workflow stamped them)."""
    if row.status == ComplaintStatus.UNVERIFIED:
        return _unverified(rules, rules.local_date(row.received_at))
    start = rules.local_date(row.reopened_at or row.disposed_at or row.received_at)
    return _followups(rules, start, row.due_date)


async def complaint_autoclose(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Close every complaint whose follow-up went unanswered for the auto-close period.

    A reply from the complainant clears the follow-up (bot/workflow/complaints.py), so such a
    case is never selected. A follow-up's stored due date is the day it closes by itself, so
    only the cases due by today are read. The close is claimed in sent_reminders first, so two
    runners close it once.
    """
    today = rules.local_date(now)
    stmt = (
        select(Case)
        .where(
            col(Case.kind) == KIND,
            col(Case.status) == ComplaintStatus.IN_PROCESS.value,
            col(Case.due_date) <= today,
            col(Case.followed_up_at).is_not(None),
        )
        .order_by(col(Case.id))
    )
    closed = 0
    for case in (await session.exec(stmt)).all():
        assert case.followed_up_at is not None and case.id is not None
        due = rules.calendar.add_working_days(
            rules.local_date(case.followed_up_at), rules.settings.complaint_autoclose_days
        )
        if today < due or not await claim(session, case.id, "complaint.auto_close", due, now):
            continue
        await close(session, case, rules=rules, actor=SYSTEM, now=now, automatic=True)
        closed += 1
    return closed
