"""Reminders to the Atasan PPID, who must answer an objection within 30 working days (UU KIP
Pasal 36): the same pattern as requests, escalating to the PPID Utama when overdue.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.recipients import role_recipients
from bot.notify.send_windows import in_office_hours
from bot.workflow.rules import Rules
from scheduler.jobs.reminders import before_due, deadline_reminders
from store.enums import CaseKind, ObjectionStatus, Role
from store.models import Case


async def objection_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every unanswered objection (office hours only)."""
    if not in_office_hours(now, rules):
        return 0
    stmt = select(Case).where(
        Case.kind == CaseKind.OBJECTION.value,
        Case.status == ObjectionStatus.REGISTERED.value,
        col(Case.due_date).is_not(None),
    )
    cases = (await session.exec(stmt.order_by(col(Case.id)))).all()
    if not cases:
        return 0
    atasan = await role_recipients(session, (Role.ATASAN,)) or await role_recipients(
        session, (Role.PPID_UTAMA,)
    )
    queued = 0
    for case in cases:
        due = case.due_date
        assert due is not None
        queued += await deadline_reminders(
            session,
            case,
            rules,
            now,
            due=due,
            milestones=before_due(
                rules.calendar, due, rules.settings.reminder_days_before, "objection"
            ),
            team=atasan,
            escalate_to=(Role.PPID_UTAMA,),
        )
    return queued
