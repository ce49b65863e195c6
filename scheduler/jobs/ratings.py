"""Ask the complainant of each done complaint, once, to rate the follow-up (1-5, a comment).

SP4N-LAPOR! offers the rating when the report is finished; so the job asks on the tick after
the complaint is done (closed by the unit or by itself), not the day after like the survey,
and never in the quiet hours. Complaints done longer ago than RATING_WITHIN_DAYS are not
asked (a long downtime, or cases closed before Loket ran).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import requester_recipient
from bot.notify.send_windows import in_quiet_hours
from bot.workflow.rules import Rules
from scheduler.jobs.reminders import claim
from store.enums import CaseKind, ComplaintStatus
from store.models import Case

RATING_WITHIN_DAYS = 14


async def rating_requests(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue the rating question for every done, unrated, not yet asked complaint."""
    if in_quiet_hours(now, rules):
        return 0
    stmt = select(Case).where(
        col(Case.kind) == CaseKind.COMPLAINT.value,
        col(Case.status) == ComplaintStatus.DONE.value,
        col(Case.rating).is_(None),
        col(Case.rating_asked_at).is_(None),
        col(Case.followed_up_at).is_not(None),
        col(Case.closed_at) >= now - dt.timedelta(days=RATING_WITHIN_DAYS),
    )
    queued = 0
    for case in (await session.exec(stmt.order_by(col(Case.id)))).all():
        assert case.id is not None
        recipient = await requester_recipient(session, case)
        if recipient is None or not await claim(
            session, case.id, "complainant.rating", rules.local_date(case.received_at), now
        ):
            continue
        lang = case.language
        queued += await notify(
            session,
            purpose=Purpose.RATING_REQUEST,
            recipient=recipient,
            key="annual.rating.ask",
            params={"reference": case.reference},  # how to answer: the channel's renderer
            subject=t("annual.rating.subject", lang, reference=case.reference),
            case=case,
            dedup_key=f"rating:{case.id}",
            now=now,
        )
        case.rating_asked_at = now
        session.add(case)
    return queued
