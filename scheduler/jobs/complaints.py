"""Complaint reminders and the automatic close (SP4N-LAPOR! style; domain.md §4).

Unverified after COMPLAINT_UNVERIFIED_REMIND_DAYS working days: the admins. Disposed without a
follow-up: the unit after each of COMPLAINT_FOLLOWUP_REMIND_DAYS working days (default 3 and 5),
then daily once overdue, copied to the PPID Utama and the Atasan PPID. A follow-up the
complainant has not answered for COMPLAINT_AUTOCLOSE_DAYS working days closes the case, and the
requester-update producer tells the complainant so.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.cases.audit import SYSTEM
from bot.notify.recipients import case_team, role_recipients
from bot.notify.send_windows import in_office_hours
from bot.workflow.complaints import close
from bot.workflow.rules import Rules
from scheduler.jobs.reminders import Milestone, claim, deadline_reminders
from store.enums import CaseKind, ComplaintStatus, Role
from store.models import Case

ESCALATE_TO = (Role.PPID_UTAMA, Role.ATASAN)


def _complaints(*statuses: ComplaintStatus) -> SelectOfScalar[Case]:
    return (
        select(Case)
        .where(
            Case.kind == CaseKind.COMPLAINT.value,
            col(Case.status).in_([s.value for s in statuses]),
        )
        .order_by(col(Case.id))
    )


async def complaint_reminders(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's reminder for every complaint awaiting verification or a follow-up."""
    if not in_office_hours(now, rules):
        return 0
    s, cal = rules.settings, rules.calendar
    desk = await role_recipients(session, (Role.ADMIN,)) or await role_recipients(
        session, (Role.PPID_UTAMA,)
    )
    queued = 0
    stmt = _complaints(
        ComplaintStatus.UNVERIFIED, ComplaintStatus.DISPOSED, ComplaintStatus.IN_PROCESS
    )
    for case in (await session.exec(stmt)).all():
        if case.due_date is None or case.followed_up_at is not None:
            continue  # a posted follow-up waits for the complainant, not for the unit
        if case.status == ComplaintStatus.UNVERIFIED:
            received = rules.local_date(case.received_at)
            milestones = [
                Milestone(
                    cal.add_working_days(received, s.complaint_unverified_remind_days),
                    "complaint.unverified",
                    "sched.officer.complaint_unverified",
                )
            ]
            team = desk
        else:
            start = rules.local_date(case.reopened_at or case.disposed_at or case.received_at)
            days = sorted(set(s.complaint_followup_remind_days))
            dates = [cal.add_working_days(start, n) for n in days]
            milestones = [
                Milestone(
                    on,
                    f"complaint.followup{n}",
                    "sched.officer.due_today"
                    if on == case.due_date
                    else "sched.officer.complaint_followup",
                )
                for n, on in zip(days, dates, strict=True)
            ]
            team = await case_team(session, case, s.language)
        queued += await deadline_reminders(
            session,
            case,
            rules,
            now,
            due=case.due_date,
            milestones=milestones,
            team=team,
            escalate_to=ESCALATE_TO,
        )
    return queued


async def complaint_autoclose(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Close every complaint whose follow-up went unanswered for the auto-close period.

    A reply from the complainant clears the follow-up (bot/workflow/complaints.py), so such a
    case is never selected. The close is claimed in sent_reminders first, so two runners close
    it once.
    """
    today = rules.local_date(now)
    closed = 0
    for case in (await session.exec(_complaints(ComplaintStatus.IN_PROCESS))).all():
        if case.followed_up_at is None:
            continue
        due = rules.calendar.add_working_days(
            rules.local_date(case.followed_up_at), rules.settings.complaint_autoclose_days
        )
        assert case.id is not None
        if today < due or not await claim(session, case.id, "complaint.auto_close", due, now):
            continue
        await close(session, case, rules=rules, actor=SYSTEM, now=now, automatic=True)
        closed += 1
    return closed
