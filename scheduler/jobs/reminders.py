"""What every reminder job shares: claiming a reminder once, milestones, officer messages.

Exactly once. A reminder is claimed by inserting (case, kind, anchor) into sent_reminders with
ON CONFLICT DO NOTHING, in the same transaction as its outbox rows. A second run, or a second
process, finds the row (on PostgreSQL it waits for the first transaction, then sees it) and
queues nothing.

Catching up. Of a case's milestones only the latest one that has arrived is sent: after days of
downtime the officer gets "due tomorrow" once, not the "3 days left" that is no longer true.
Overdue reminders are anchored on the day, so a missed week yields one reminder, today's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calendar.workdays import WorkingCalendar
from bot.i18n import t
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient, role_recipients
from bot.workflow.rules import Rules
from store.enums import Role
from store.models import Case, SentReminder


@dataclass(frozen=True)
class Milestone:
    """A reminder that becomes due on local date `on`: its kind and its catalogue key."""

    on: dt.date
    kind: str
    text: str


def working_days_before(calendar: WorkingCalendar, due: dt.date, days: int) -> dt.date:
    """The working day `days` working days before `due` (`due` itself for 0)."""
    day = due
    for _ in range(days):
        day -= dt.timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= dt.timedelta(days=1)
    return day


def before_due(
    calendar: WorkingCalendar, due: dt.date, offsets: Sequence[int], prefix: str
) -> list[Milestone]:
    """Milestones `offsets` working days before `due`, earliest first (0 = on the day)."""
    return [
        Milestone(
            working_days_before(calendar, due, n),
            f"{prefix}.before{n}",
            "sched.officer.due_today" if n == 0 else "sched.officer.before",
        )
        for n in sorted(set(offsets), reverse=True)
    ]


def current_milestone(milestones: Sequence[Milestone], today: dt.date) -> Milestone | None:
    """The latest milestone on or before `today`; of two on one day, the later-listed wins."""
    best: Milestone | None = None
    for milestone in milestones:
        if milestone.on <= today and (best is None or milestone.on >= best.on):
            best = milestone
    return best


async def claim(
    session: AsyncSession, case_id: int, kind: str, anchor: dt.date, now: dt.datetime
) -> bool:
    """Record reminder (case, kind, anchor); True only for the first caller ever."""
    table = SentReminder.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(case_id=case_id, kind=kind, anchor=anchor, sent_at=now)
        .on_conflict_do_nothing(index_elements=["case_id", "kind", "anchor"])
    )
    result = await (await session.connection()).execute(stmt)
    return bool(result.rowcount)


async def remind(
    session: AsyncSession,
    case: Case,
    *,
    kind: str,
    anchor: dt.date,
    recipients: Sequence[Recipient],
    text: str,
    now: dt.datetime,
    **params: object,
) -> int:
    """Queue catalogue text `text` about `case` to each recipient, once for (case, kind,
    anchor); 1 if it was queued now, 0 if it had been before. Texts carry no personal data.
    """
    assert case.id is not None
    if not await claim(session, case.id, kind, anchor, now):
        return 0
    seen: set[str] = set()
    for r in recipients:
        if r.key in seen:
            continue
        seen.add(r.key)
        await notify(
            session,
            purpose=Purpose.REMINDER,
            recipient=r,
            key=text,
            params={
                "reference": case.reference,
                "what": t(f"sched.kind.{case.kind}", r.language),
                **params,
            },
            subject=t("sched.officer.subject", r.language, reference=case.reference),
            case=case,
            dedup_key=f"remind:{case.id}:{kind}:{anchor.isoformat()}:{r.key}",
            now=now,
        )
    return 1


async def deadline_reminders(
    session: AsyncSession,
    case: Case,
    rules: Rules,
    now: dt.datetime,
    *,
    due: dt.date,
    milestones: Sequence[Milestone],
    team: Sequence[Recipient],
    escalate_to: tuple[Role, ...],
) -> int:
    """The one reminder `case` calls for today: its current milestone, or once overdue a daily
    reminder to `team`, copied to `escalate_to` after REMINDER_ESCALATE_AFTER_DAYS overdue
    working days.
    """
    today = rules.local_date(now)
    cal = rules.calendar
    if today > due:
        overdue = cal.working_days_between(due, today)
        recipients = list(team)
        if overdue > rules.settings.reminder_escalate_after_days:
            recipients += await role_recipients(session, escalate_to)
        return await remind(
            session,
            case,
            kind=f"{case.kind}.overdue",
            anchor=today,
            recipients=recipients,
            text="sched.officer.overdue",
            now=now,
            due=due.isoformat(),
            days=overdue,
        )
    milestone = current_milestone(milestones, today)
    if milestone is None:
        return 0
    return await remind(
        session,
        case,
        kind=milestone.kind,
        anchor=due,
        recipients=team,
        text=milestone.text,
        now=now,
        due=due.isoformat(),
        days=cal.working_days_between(today, due),
    )
