"""Scheduled messages to requesters: the weekly "still being processed, due on ..." while a
case is open, and the satisfaction survey invitation (PermenPANRB 14/2017) after closure.
Never in the quiet hours: a job that runs then waits for a later tick.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date, t
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import requester_recipient
from bot.notify.send_windows import in_quiet_hours
from bot.workflow.rules import Rules
from scheduler.jobs.reminders import claim
from store.enums import (
    CLOSED_STATUSES,
    CaseKind,
    ComplaintStatus,
    RequestStatus,
)
from store.models import Case

# The invitation goes the day after closure, not beside the decision itself; closures older
# than the window (a long downtime, or cases closed before Loket ran) are not surveyed.
SURVEY_AFTER_DAYS = 1
SURVEY_WITHIN_DAYS = 14
_NO_PROGRESS_STATUSES = [*CLOSED_STATUSES, RequestStatus.INCOMPLETE, ComplaintStatus.ON_HOLD]


async def progress_updates(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Tell each requester of an open case, every REQUESTER_PROGRESS_EVERY_DAYS days counted
    from receipt, that it is still being processed and when it is due; once per period.
    """
    if in_quiet_hours(now, rules):
        return 0
    today, every = rules.local_date(now), rules.settings.requester_progress_every_days
    stmt = select(Case).where(
        col(Case.status).not_in([str(s) for s in _NO_PROGRESS_STATUSES]),
        col(Case.requester_id).is_not(None),
        col(Case.due_date).is_not(None),
        col(Case.followed_up_at).is_(None),  # a posted follow-up awaits the complainant
    )
    queued = 0
    for case in (await session.exec(stmt.order_by(col(Case.id)))).all():
        received = rules.local_date(case.received_at)
        periods = (today - received).days // every
        if periods < 1:
            continue
        anchor = received + dt.timedelta(days=periods * every)
        recipient = await requester_recipient(session, case)
        assert case.id is not None and case.due_date is not None
        if recipient is None or not await claim(
            session, case.id, "requester.progress", anchor, now
        ):
            continue
        lang = case.language
        queued += await notify(
            session,
            purpose=Purpose.PROGRESS_UPDATE,
            recipient=recipient,
            key="sched.requester.progress",
            params={
                "reference": case.reference,
                "what": t(f"sched.kind.{case.kind}", lang),
                "due": format_date(case.due_date, lang),
            },
            subject=t("sched.update.subject", lang, reference=case.reference),
            case=case,
            dedup_key=f"progress:{case.id}:{anchor.isoformat()}",
            now=now,
        )
    return queued


async def survey_invitations(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Invite the requester of each decided request or completed complaint to the survey,
    once per case, the day after it closed (within SURVEY_WITHIN_DAYS days of closing).
    """
    if in_quiet_hours(now, rules):
        return 0
    today = rules.local_date(now)
    stmt = select(Case).where(
        col(Case.closed_at) >= now - dt.timedelta(days=SURVEY_WITHIN_DAYS + 1),
        (
            (col(Case.kind) == CaseKind.INFORMATION_REQUEST.value)
            & (col(Case.status) == RequestStatus.DECIDED.value)
        )
        | (
            (col(Case.kind) == CaseKind.COMPLAINT.value)
            & (col(Case.status) == ComplaintStatus.DONE.value)
        ),
    )
    queued = 0
    for case in (await session.exec(stmt.order_by(col(Case.id)))).all():
        assert case.id is not None and case.closed_at is not None
        waited = (today - rules.local_date(case.closed_at)).days
        if not SURVEY_AFTER_DAYS <= waited <= SURVEY_WITHIN_DAYS:
            continue
        recipient = await requester_recipient(session, case)
        received = rules.local_date(case.received_at)
        if recipient is None or not await claim(
            session, case.id, "requester.survey", received, now
        ):
            continue
        lang = case.language
        queued += await notify(
            session,
            purpose=Purpose.SURVEY_INVITATION,
            recipient=recipient,
            key="sched.requester.survey",
            params={"reference": case.reference},  # how to answer: the channel's renderer
            subject=t("sched.requester.survey_subject", lang, reference=case.reference),
            case=case,
            dedup_key=f"survey:{case.id}",
            now=now,
        )
    return queued
