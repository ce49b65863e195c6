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

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import SYSTEM
from bot.notify.recipients import Directory
from bot.notify.send_windows import in_office_hours
from bot.workflow.complaints import close
from bot.workflow.rules import Rules
from bot.workflow.sweep_columns import AWAITING_COMPLAINANT, COMPLAINT_REMINDED
from scheduler.jobs.due_sets import due_batches, look_again
from scheduler.jobs.reminders import (
    DAY,
    Milestone,
    Outgoing,
    claim,
)
from store.enums import CaseKind, ComplaintStatus, Role
from store.models import Case

ESCALATE_TO = (Role.PPID_UTAMA, Role.ATASAN)
KIND = CaseKind.COMPLAINT.value
REMINDED = COMPLAINT_REMINDED


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
    """Queue today's reminder for every complaint awaiting verification or a follow-up.

    Reads the complaints whose stored next reminder day has come; each gets its overdue
    reminder (due before today) or its current milestone's, and its next day moved on.
    """
    if not in_office_hours(now, rules):
        return 0
    today, language = rules.local_date(now), rules.settings.language
    directory = await Directory.load(session)
    desk = directory.role_recipients((Role.ADMIN,)) or directory.role_recipients((Role.PPID_UTAMA,))
    escalation = directory.role_recipients(ESCALATE_TO)

    def team(row: Any) -> list[Any]:
        if row.status == ComplaintStatus.UNVERIFIED:
            return desk
        return directory.case_team(row.assigned_officer_id, row.unit_id, language)

    def milestones_of(row: Any) -> list[Milestone]:
        return _milestones_of(row, rules)

    out = Outgoing(session, now)
    waiting = col(Case.followed_up_at).is_(None)  # a posted follow-up waits for the complainant
    async for batch in due_batches(session, today, KIND, REMINDED, waiting):
        for row in batch:
            await out.remind(
                row,
                rules,
                today,
                team=team(row),
                escalation=escalation,
                milestones_of=milestones_of,
            )
    return await out.done()


def _milestones_of(row: Any, rules: Rules) -> list[Milestone]:
    """A complaint's milestones from its own instants (as the workflow stamped them)."""
    if row.status == ComplaintStatus.UNVERIFIED:
        return _unverified(rules, rules.local_date(row.received_at))
    start = rules.local_date(row.reopened_at or row.disposed_at or row.received_at)
    return _followups(rules, start, row.due_date)


async def complaint_autoclose(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Close every complaint whose follow-up went unanswered for the auto-close period.

    A reply from the complainant clears the follow-up (bot/workflow/complaints.py), so such a
    case is never selected. Only the complaints awaiting the complainant whose stored next day
    has come are read; one not yet due is given its closing day. The close is claimed in
    sent_reminders first, so two runners close it once.
    """
    today = rules.local_date(now)
    followed = col(Case.followed_up_at).is_not(None)
    closed = 0
    async for batch in due_batches(session, today, KIND, (AWAITING_COMPLAINANT,), followed):
        moves = []
        for row in batch:
            due = rules.calendar.add_working_days(
                rules.local_date(row.followed_up_at), rules.settings.complaint_autoclose_days
            )
            if today < due:
                moves.append((row, due))
            elif not await claim(session, row.id, "complaint.auto_close", due, now):
                moves.append((row, today + DAY))  # closed once already: nothing more is due
            else:
                case = await session.get(Case, row.id)
                assert case is not None
                await close(session, case, rules=rules, actor=SYSTEM, now=now, automatic=True)
                closed += 1
        await look_again(session, moves)
    return closed
