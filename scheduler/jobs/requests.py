"""Officer reminders for information requests (UU KIP Pasal 22(7)-(8)).

Before the due date: REMINDER_DAYS_BEFORE working days before it (default 3, 1 and on the day);
on the 10th working day of a request not extended, "decide or extend today" (an extension must
be announced by then); once overdue, daily, copied to the PPID Utama and the Atasan PPID.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.recipients import Directory
from bot.notify.send_windows import in_office_hours
from bot.workflow.deadlines import request_base_due
from bot.workflow.rules import Rules
from bot.workflow.sweep_columns import REQUEST_REMINDED
from scheduler.jobs.due_sets import due_batches
from scheduler.jobs.reminders import Milestone, Outgoing, before_due
from store.enums import CaseKind, Role

OPEN = REQUEST_REMINDED
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
    """Queue today's reminder for every open request (office hours on working days only).

    Reads the requests whose stored next reminder day has come; each gets its overdue reminder
    (due before today) or its current milestone's, and its next day moved on.
    """
    if not in_office_hours(now, rules):
        return 0
    today, language = rules.local_date(now), rules.settings.language
    directory = await Directory.load(session)
    escalation = directory.role_recipients((Role.PPID_UTAMA, Role.ATASAN))

    def milestones_of(row: Any) -> list[Milestone]:
        base_due = None if row.extended_at else request_base_due(row, rules)
        return _milestones(rules, row.due_date, base_due)

    out = Outgoing(session, now)
    async for batch in due_batches(session, today, KIND, OPEN):
        for row in batch:
            team = directory.case_team(row.assigned_officer_id, row.unit_id, language)
            await out.remind(
                row, rules, today, team=team, escalation=escalation, milestones_of=milestones_of
            )
    return await out.done()
