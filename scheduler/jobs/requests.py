"""Officer reminders for information requests (UU KIP Pasal 22(7)-(8)).

Before the due date: REMINDER_DAYS_BEFORE working days before it (default 3, 1 and on the day);
on the 10th working day of a request not extended, "decide or extend today" (an extension must
be announced by then); once overdue, daily, copied to the PPID Utama and the Atasan PPID.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.recipients import case_team
from bot.notify.send_windows import in_office_hours
from bot.workflow.deadlines import request_base_due
from bot.workflow.rules import Rules
from scheduler.jobs.reminders import Milestone, before_due, deadline_reminders
from store.enums import CaseKind, RequestStatus, Role
from store.models import Case

OPEN = (
    RequestStatus.INCOMPLETE,
    RequestStatus.REGISTERED,
    RequestStatus.IN_PROGRESS,
    RequestStatus.EXTENDED,
)


async def request_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every open request (office hours on working days only)."""
    if not in_office_hours(now, rules):
        return 0
    stmt = select(Case).where(
        Case.kind == CaseKind.INFORMATION_REQUEST.value,
        col(Case.status).in_([s.value for s in OPEN]),
        col(Case.due_date).is_not(None),
    )
    queued = 0
    for case in (await session.exec(stmt.order_by(col(Case.id)))).all():
        due = case.due_date
        assert due is not None
        milestones = before_due(rules.calendar, due, rules.settings.reminder_days_before, "request")
        if case.extended_at is None:
            milestones.append(
                Milestone(
                    request_base_due(case, rules),
                    "request.decide_or_extend",
                    "sched.officer.decide_or_extend",
                )
            )
        queued += await deadline_reminders(
            session,
            case,
            rules,
            now,
            due=due,
            milestones=milestones,
            team=await case_team(session, case, rules.settings.language),
            escalate_to=(Role.PPID_UTAMA, Role.ATASAN),
        )
    return queued
