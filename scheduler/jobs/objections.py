"""Reminders to the Atasan PPID, who must answer an objection within 30 working days (UU KIP
Pasal 36): the same pattern as requests, escalating to the PPID Utama when overdue.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.notify.recipients import Directory
from bot.notify.send_windows import in_office_hours
from bot.workflow.rules import Rules
from bot.workflow.sweep_columns import OBJECTION_REMINDED
from scheduler.jobs.due_sets import due_batches
from scheduler.jobs.reminders import Milestone, Outgoing, before_due
from store.enums import CaseKind, Role

KIND = CaseKind.OBJECTION.value


async def objection_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every unanswered objection (office hours only).

    Reads the objections whose stored next reminder day has come; each gets its overdue
    reminder (due before today) or its current milestone's, and its next day moved on.
    """
    if not in_office_hours(now, rules):
        return 0
    today, offsets = rules.local_date(now), rules.settings.reminder_days_before
    directory = await Directory.load(session)
    atasan = directory.role_recipients((Role.ATASAN,)) or directory.role_recipients(
        (Role.PPID_UTAMA,)
    )
    escalation = directory.role_recipients((Role.PPID_UTAMA,))

    def milestones_of(row: Any) -> list[Milestone]:
        return before_due(rules.calendar, row.due_date, offsets, "objection")

    out = Outgoing(session, now)
    async for batch in due_batches(session, today, KIND, OBJECTION_REMINDED):
        for row in batch:
            await out.remind(
                row, rules, today, team=atasan, escalation=escalation, milestones_of=milestones_of
            )
    return await out.done()
