"""Ask the complainant of each done complaint, once, to rate the follow-up (1-5, a comment).

SP4N-LAPOR! offers the rating when the report is finished; so the job asks on the tick after
the complaint is done (closed by the unit or by itself), not the day after like the survey,
and never in the quiet hours. Complaints done longer ago than RATING_WITHIN_DAYS are not
asked (a long downtime, or cases closed before Loket ran).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.notify.outbox import message_row
from bot.notify.purposes import Purpose
from bot.notify.send_windows import in_quiet_hours
from bot.workflow.rules import Rules
from scheduler.jobs.due_sets import case_rows
from scheduler.jobs.requesters import queue_once
from store.enums import CaseKind, ComplaintStatus
from store.models import Case

RATING_WITHIN_DAYS = 14


async def rating_requests(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue the rating question for every done, unrated, not yet asked complaint."""
    if in_quiet_hours(now, rules):
        return 0
    rows = await case_rows(
        session,
        col(Case.kind) == CaseKind.COMPLAINT.value,
        col(Case.status) == ComplaintStatus.DONE.value,
        col(Case.rating).is_(None),
        col(Case.rating_asked_at).is_(None),
        col(Case.followed_up_at).is_not(None),
        col(Case.closed_at) >= now - dt.timedelta(days=RATING_WITHIN_DAYS),
    )
    asked = await queue_once(
        session,
        rows,
        "complainant.rating",
        lambda row: rules.local_date(row.received_at),
        lambda row, recipient: message_row(
            purpose=Purpose.RATING_REQUEST,
            recipient=recipient,
            key="annual.rating.ask",
            params={"reference": row.reference},  # how to answer: the channel's renderer
            subject=t("annual.rating.subject", row.language, reference=row.reference),
            case_id=row.id,
            case_reference=row.reference,
            dedup_key=f"rating:{row.id}",
            now=now,
        ),
        now,
    )
    if asked:
        stmt = update(Case).where(col(Case.id).in_([row.id for row in asked]))
        await (await session.connection()).execute(stmt.values(rating_asked_at=now))
    return len(asked)
