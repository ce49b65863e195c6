"""Reminders to the Atasan PPID, who must answer an objection within 30 working days (UU KIP
Pasal 36): the same pattern as requests, escalating to the PPID Utama when overdue.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.recipients import Directory
from bot.notify.send_windows import in_office_hours
from bot.workflow.rules import Rules
from scheduler.jobs.due_sets import case_rows, milestone_runs, unreminded
from scheduler.jobs.reminders import (
    Reminder,
    before_due,
    current_milestone,
    milestone_reminder,
    overdue_reminder,
    overdue_where,
    send_reminders,
)
from store.enums import CaseKind, ObjectionStatus, Role
from store.models import Case

KIND = CaseKind.OBJECTION.value


async def objection_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every unanswered objection (office hours only)."""
    if not in_office_hours(now, rules):
        return 0
    today, offsets = rules.local_date(now), rules.settings.reminder_days_before
    base = (
        col(Case.kind) == KIND,
        col(Case.status) == ObjectionStatus.REGISTERED.value,
        col(Case.due_date).is_not(None),
    )
    rows = list(await case_rows(session, *base, *overdue_where(KIND, today)))
    milestone_rows = []

    def kind_on(due: dt.date) -> str | None:
        m = current_milestone(before_due(rules.calendar, due, offsets, "objection"), today)
        return m.kind if m else None

    for run in milestone_runs(kind_on, today, backwards=False):
        where = (run.where(col(Case.due_date)), unreminded(run.kind, col(Case.due_date)))
        milestone_rows += await case_rows(session, *base, *where)
    if not rows and not milestone_rows:
        return 0
    directory = await Directory.load(session)
    atasan = directory.role_recipients((Role.ATASAN,)) or directory.role_recipients(
        (Role.PPID_UTAMA,)
    )
    escalation = directory.role_recipients((Role.PPID_UTAMA,))
    found: list[Reminder] = [
        overdue_reminder(row, rules, today, team=atasan, escalation=escalation) for row in rows
    ]
    for row in milestone_rows:
        milestones = before_due(rules.calendar, row.due_date, offsets, "objection")
        reminder = milestone_reminder(row, rules, today, milestones=milestones, team=atasan)
        if reminder is not None:
            found.append(reminder)
    return await send_reminders(session, found, now)
