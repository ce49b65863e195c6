"""Officer reminders for information requests (UU KIP Pasal 22(7)-(8)).

Before the due date: REMINDER_DAYS_BEFORE working days before it (default 3, 1 and on the day);
on the 10th working day of a request not extended, "decide or extend today" (an extension must
be announced by then); once overdue, daily, copied to the PPID Utama and the Atasan PPID.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.recipients import Directory
from bot.notify.send_windows import in_office_hours
from bot.workflow.deadlines import request_base_due
from bot.workflow.rules import Rules
from scheduler.jobs.due_sets import case_batches, milestone_runs, unreminded
from scheduler.jobs.reminders import (
    Milestone,
    Outgoing,
    before_due,
    current_milestone,
    milestone_reminder,
    overdue_reminder,
    overdue_where,
)
from store.enums import CaseKind, RequestStatus, Role
from store.models import Case

OPEN = (
    RequestStatus.INCOMPLETE,
    RequestStatus.REGISTERED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.EXTENDED,
)
KIND = CaseKind.INFORMATION_REQUEST.value


def _milestones(rules: Rules, due: dt.date, base_due: dt.date | None) -> list[Milestone]:
    """The request's milestones; `base_due` (the unextended deadline) None once extended."""
    milestones = before_due(rules.calendar, due, rules.settings.reminder_days_before, "request")
    if base_due is not None:
        milestones.append(
            Milestone(base_due, "request.decide_or_extend", "sched.officer.decide_or_extend")
        )
    return milestones


async def request_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every open request (office hours on working days only)."""
    if not in_office_hours(now, rules):
        return 0
    today, language = rules.local_date(now), rules.settings.language
    directory = await Directory.load(session)
    escalation = directory.role_recipients((Role.PPID_UTAMA, Role.ATASAN))
    base = (
        col(Case.kind) == KIND,
        col(Case.status).in_([s.value for s in OPEN]),
        col(Case.due_date).is_not(None),
    )

    def team(row: Any) -> list[Any]:
        return directory.case_team(row.assigned_officer_id, row.unit_id, language)

    out = Outgoing(session, now)
    async for batch in case_batches(session, *base, *overdue_where(KIND, today)):
        for row in batch:
            await out.add(
                overdue_reminder(row, rules, today, team=team(row), escalation=escalation)
            )
    for extended in (False, True):
        # Not extended, the base deadline is the due date itself (no extension days added).
        def kind_on(due: dt.date, extended: bool = extended) -> str | None:
            m = current_milestone(_milestones(rules, due, None if extended else due), today)
            return m.kind if m else None

        held = col(Case.extended_at).is_not(None) if extended else col(Case.extended_at).is_(None)
        for run in milestone_runs(kind_on, today, backwards=False):
            where = (held, run.where(col(Case.due_date)), unreminded(run.kind, col(Case.due_date)))
            async for batch in case_batches(session, *base, *where):
                for row in batch:
                    base_due = None if row.extended_at else request_base_due(row, rules)
                    milestones = _milestones(rules, row.due_date, base_due)
                    await out.add(
                        milestone_reminder(row, rules, today, milestones=milestones, team=team(row))
                    )
    return await out.done()
