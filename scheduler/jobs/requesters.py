"""Scheduled messages to requesters: the weekly "still being processed, due on ..." while a
case is open, and the satisfaction survey invitation (PermenPANRB 14/2017) after closure.
Never in the quiet hours: a job that runs then waits for a later tick.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date, t
from bot.notify.outbox import message_row, queue_rows
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient, requester_recipients
from bot.notify.send_windows import in_quiet_hours
from bot.workflow.rules import Rules
from bot.workflow.sweep_columns import NO_PROGRESS_STATUSES
from scheduler.jobs.due_sets import case_rows, keyset_batches, unreminded
from scheduler.jobs.reminders import claim_many
from store.enums import CaseKind, ComplaintStatus, RequestStatus
from store.models import Case

# The invitation goes the day after closure, not beside the decision itself; closures older
# than the window (a long downtime, or cases closed before Loket ran) are not surveyed.
SURVEY_AFTER_DAYS = 1
SURVEY_WITHIN_DAYS = 14
PROGRESS = "requester.progress"


async def progress_updates(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Tell each requester of an open case, every REQUESTER_PROGRESS_EVERY_DAYS days counted
    from receipt, that it is still being processed and when it is due; once per period.

    Reads only the cases whose stored next update day (`progress_next_on`) has come, and moves
    that day on by one period for each case it has settled.
    """
    if in_quiet_hours(now, rules):
        return 0
    today = rules.local_date(now)
    queued = 0
    async for batch in keyset_batches(
        session,
        col(Case.progress_next_on),
        col(Case.progress_next_on) <= today,
        col(Case.status).not_in([str(s) for s in NO_PROGRESS_STATUSES]),
        col(Case.requester_id).is_not(None),
        col(Case.due_date).is_not(None),
        col(Case.followed_up_at).is_(None),  # a posted follow-up awaits the complainant
    ):
        queued += await _progress_batch(session, batch, rules, now)
    return queued


async def _progress_batch(
    session: AsyncSession, rows: Sequence[Any], rules: Rules, now: dt.datetime
) -> int:
    """Queue the progress updates of `rows` due by now and move their next day on."""
    today, every = rules.local_date(now), rules.settings.requester_progress_every_days
    recipients = await requester_recipients(session, rows)
    due: list[tuple[Any, Recipient, dt.date]] = []
    moved: list[dict[str, Any]] = []
    for row in rows:
        received = rules.local_date(row.received_at)
        periods = (today - received).days // every
        anchor = received + dt.timedelta(days=periods * every)
        moved.append({"case_pk": row.id, "next_on": anchor + dt.timedelta(days=every)})
        if periods < 1:
            continue
        if (recipient := recipients[row.id]) is None:
            moved.pop()  # a contact may come within the period: look again next tick
            continue
        due.append((row, recipient, anchor))
    claimed = await claim_many(session, [(row.id, PROGRESS, anchor) for row, _, anchor in due], now)
    queued = await queue_rows(
        session,
        [
            _progress_row(row, recipient, anchor, now)
            for row, recipient, anchor in due
            if (row.id, PROGRESS, anchor) in claimed
        ],
    )
    if moved:
        stmt = (
            update(Case)
            .where(col(Case.id) == bindparam("case_pk"))
            .values(progress_next_on=bindparam("next_on"))
        )
        await (await session.connection()).execute(stmt, moved)
    return queued


def _progress_row(row: Any, recipient: Recipient, anchor: dt.date, now: dt.datetime) -> Any:
    lang = row.language
    return message_row(
        purpose=Purpose.PROGRESS_UPDATE,
        recipient=recipient,
        key="sched.requester.progress",
        params={
            "reference": row.reference,
            "what": t(f"sched.kind.{row.kind}", lang),
            "due": format_date(row.due_date, lang),
        },
        subject=t("sched.update.subject", lang, reference=row.reference),
        case_id=row.id,
        case_reference=row.reference,
        dedup_key=f"progress:{row.id}:{anchor.isoformat()}",
        now=now,
    )


async def survey_invitations(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Invite the requester of each decided request or completed complaint to the survey,
    once per case, the day after it closed (within SURVEY_WITHIN_DAYS days of closing).
    """
    if in_quiet_hours(now, rules):
        return 0
    today = rules.local_date(now)
    rows = await case_rows(
        session,
        col(Case.closed_at) >= now - dt.timedelta(days=SURVEY_WITHIN_DAYS + 1),
        (
            (col(Case.kind) == CaseKind.INFORMATION_REQUEST.value)
            & (col(Case.status) == RequestStatus.DECIDED.value)
        )
        | (
            (col(Case.kind) == CaseKind.COMPLAINT.value)
            & (col(Case.status) == ComplaintStatus.DONE.value)
        ),
        unreminded("requester.survey", col(Case.received_on)),
    )
    rows = [
        row
        for row in rows
        if SURVEY_AFTER_DAYS <= (today - rules.local_date(row.closed_at)).days <= SURVEY_WITHIN_DAYS
    ]
    return len(
        await queue_once(
            session,
            rows,
            "requester.survey",
            lambda row: rules.local_date(row.received_at),
            lambda row, recipient: message_row(
                purpose=Purpose.SURVEY_INVITATION,
                recipient=recipient,
                key="sched.requester.survey",
                params={"reference": row.reference},  # how to answer: the channel's renderer
                subject=t("sched.requester.survey_subject", row.language, reference=row.reference),
                case_id=row.id,
                case_reference=row.reference,
                dedup_key=f"survey:{row.id}",
                now=now,
            ),
            now,
        )
    )


async def queue_once(
    session: AsyncSession,
    rows: Sequence[Any],
    kind: str,
    anchor_of: Callable[[Any], dt.date],
    row_of: Callable[[Any, Recipient], dict[str, Any]],
    now: dt.datetime,
) -> list[Any]:
    """Queue `row_of(case, requester)` for each case whose requester is reachable, once per
    (case, `kind`, `anchor_of(case)`); return the cases it was queued for now."""
    recipients = await requester_recipients(session, rows)
    due = [(row, r) for row in rows if (r := recipients[row.id]) is not None]
    claimed = await claim_many(session, [(row.id, kind, anchor_of(row)) for row, _ in due], now)
    won = [(row, r) for row, r in due if (row.id, kind, anchor_of(row)) in claimed]
    await queue_rows(session, [row_of(row, r) for row, r in won])
    return [row for row, _ in won]
