"""What every reminder job shares: claiming a reminder once, milestones, officer messages.

Exactly once. A reminder is claimed by inserting (case, kind, anchor) into sent_reminders with
ON CONFLICT DO NOTHING, in the same transaction as its outbox rows. A second run, or a second
process, finds the row (on PostgreSQL it waits for the first transaction, then sees it) and
queues nothing.

Catching up. Of a case's milestones only the latest one that has arrived is sent: after days of
downtime the officer gets "due tomorrow" once, not the "3 days left" that is no longer true.
Overdue reminders are anchored on the day, so a missed week yields one reminder, today's.

Looking again. Every case a job reads is given its next day (`next_look`: its next milestone,
else its next overdue day) in the transaction of the claims, so the job does not read it again
before then (scheduler/jobs/due_sets.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.calendar.workdays import WorkingCalendar
from bot.i18n import t
from bot.notify.outbox import message_row, queue_rows
from bot.notify.purposes import Purpose
from bot.notify.recipients import Recipient
from bot.workflow.rules import Rules
from scheduler.jobs.due_sets import BATCH, look_again
from store.db import conflict_insert
from store.models import SentReminder

DAY = dt.timedelta(days=1)


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


def next_look(milestones: Sequence[Milestone], due: dt.date, today: dt.date) -> dt.date:
    """The next day after `today` a case due on `due` calls for a reminder: its next milestone,
    else its first overdue day (an overdue case: tomorrow; a tick on a closed day sends
    nothing and leaves the day for the next working day's tick)."""
    return min([m.on for m in milestones if m.on > today] + [max(due, today) + DAY])


async def claim_many(
    session: AsyncSession, keys: Sequence[tuple[int, str, dt.date]], now: dt.datetime
) -> set[tuple[int, str, dt.date]]:
    """Record reminders (case, kind, anchor) in bulk; return those recorded now (first ever)."""
    table = SentReminder.__table__  # type: ignore[attr-defined]
    conn = await session.connection()
    values = [
        {"case_id": case_id, "kind": kind, "anchor": anchor, "sent_at": now}
        for case_id, kind, anchor in dict.fromkeys(keys)
    ]
    if not values:
        return set()
    stmt = (
        conflict_insert(session.bind.dialect.name, table)
        .on_conflict_do_nothing(index_elements=["case_id", "kind", "anchor"])
        .returning(table.c.case_id, table.c.kind, table.c.anchor)
    )
    claimed = {(r.case_id, r.kind, r.anchor) for r in await conn.execute(stmt, values)}
    return claimed


async def claim(
    session: AsyncSession, case_id: int, kind: str, anchor: dt.date, now: dt.datetime
) -> bool:
    """Record reminder (case, kind, anchor); True only for the first caller ever."""
    return bool(await claim_many(session, [(case_id, kind, anchor)], now))


@dataclass(frozen=True)
class Reminder:
    """One reminder a case calls for today: what, to whom, anchored on which date."""

    case: Any  # a row of scheduler.jobs.due_sets.CASE_FIELDS
    kind: str
    anchor: dt.date
    text: str
    recipients: Sequence[Recipient]
    params: Mapping[str, object]


async def send_reminders(
    session: AsyncSession, reminders: Sequence[Reminder], now: dt.datetime
) -> int:
    """Queue each reminder to its recipients, once for (case, kind, anchor), in case order;
    return how many were queued now. Texts carry no personal data. Two statements per 500
    reminders: the claims, then the outbox rows of the claims won.
    """
    ordered = sorted(reminders, key=lambda r: r.case.id)
    claimed = await claim_many(session, [(r.case.id, r.kind, r.anchor) for r in ordered], now)
    rows = []
    for reminder in ordered:
        if (reminder.case.id, reminder.kind, reminder.anchor) not in claimed:
            continue
        rows += _outbox_rows(reminder, now)
    await queue_rows(session, rows)
    return sum(1 for r in ordered if (r.case.id, r.kind, r.anchor) in claimed)


class Outgoing:
    """The reminders a job finds and the next days of the cases it read, written every BATCH
    of them (so memory stays flat however many are due); `done` says how many were queued."""

    def __init__(self, session: AsyncSession, now: dt.datetime) -> None:
        self._session, self._now = session, now
        self._found: list[Reminder] = []
        self._moves: list[tuple[Any, dt.date | None]] = []
        self.queued = 0

    async def settle(self, row: Any, reminder: Reminder | None, next_on: dt.date | None) -> None:
        """Take the reminder a case read calls for today (if any) and its next day to look."""
        self._moves.append((row, next_on))
        await self.add(reminder)

    async def remind(
        self,
        row: Any,
        rules: Rules,
        today: dt.date,
        *,
        team: Sequence[Recipient],
        escalation: Sequence[Recipient],
        milestones_of: Callable[[Any], Sequence[Milestone]],
    ) -> None:
        """Settle a case read: due before today, the overdue reminder of the day (next look
        tomorrow); else its current milestone's reminder, if any (next look: its next one)."""
        due = row.due_date
        if due is None:
            await self.settle(row, None, None)
        elif due < today:
            reminder = overdue_reminder(row, rules, today, team=team, escalation=escalation)
            await self.settle(row, reminder, today + DAY)
        else:
            milestones = milestones_of(row)
            reminder = milestone_reminder(row, rules, today, milestones=milestones, team=team)
            await self.settle(row, reminder, next_look(milestones, due, today))

    async def add(self, reminder: Reminder | None) -> None:
        """Take one more reminder (None: nothing to take)."""
        if reminder is not None:
            self._found.append(reminder)
        if len(self._found) >= BATCH or len(self._moves) >= BATCH:
            await self.flush()

    async def flush(self) -> None:
        """Send what was taken so far (the claims first), then move the cases' next days on."""
        self.queued += await send_reminders(self._session, self._found, self._now)
        await look_again(self._session, self._moves)
        self._found, self._moves = [], []

    async def done(self) -> int:
        """Send the rest; how many reminders were queued now."""
        await self.flush()
        return self.queued


def _outbox_rows(reminder: Reminder, now: dt.datetime) -> list[dict[str, Any]]:
    case, seen, rows = reminder.case, set[str](), []
    for r in reminder.recipients:
        if r.key in seen:
            continue
        seen.add(r.key)
        rows.append(
            message_row(
                purpose=Purpose.REMINDER,
                recipient=r,
                key=reminder.text,
                params={
                    "reference": case.reference,
                    "what": t(f"sched.kind.{case.kind}", r.language),
                    **reminder.params,
                },
                subject=t("sched.officer.subject", r.language, reference=case.reference),
                case_id=case.id,
                case_reference=case.reference,
                dedup_key=f"remind:{case.id}:{reminder.kind}:{reminder.anchor.isoformat()}:{r.key}",
                now=now,
            )
        )
    return rows


def overdue_reminder(
    case: Any,
    rules: Rules,
    today: dt.date,
    *,
    team: Sequence[Recipient],
    escalation: Sequence[Recipient],
) -> Reminder:
    """The daily reminder of a case overdue since `case.due_date`: to `team`, copied to
    `escalation` after REMINDER_ESCALATE_AFTER_DAYS overdue working days."""
    due = case.due_date
    overdue = rules.calendar.working_days_between(due, today)
    recipients = list(team)
    if overdue > rules.settings.reminder_escalate_after_days:
        recipients += escalation
    return Reminder(
        case,
        f"{case.kind}.overdue",
        today,
        "sched.officer.overdue",
        recipients,
        {"due": due.isoformat(), "days": overdue},
    )


def milestone_reminder(
    case: Any,
    rules: Rules,
    today: dt.date,
    *,
    milestones: Sequence[Milestone],
    team: Sequence[Recipient],
) -> Reminder | None:
    """The reminder of the case's current milestone (due today or later), or None yet."""
    milestone = current_milestone(milestones, today)
    if milestone is None:
        return None
    due = case.due_date
    return Reminder(
        case,
        milestone.kind,
        due,
        milestone.text,
        team,
        {"due": due.isoformat(), "days": rules.calendar.working_days_between(today, due)},
    )
