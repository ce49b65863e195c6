"""Body-specific closures and openings, and the recomputation of open cases they trigger."""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases.audit import record_event
from bot.settings import Settings
from bot.workflow.deadlines import compute_due_date
from bot.workflow.report_columns import shift_for_override
from bot.workflow.rules import Rules, load_rules
from bot.workflow.sweep_columns import stamp_all_next_reminder
from store.enums import CLOSED_STATUSES, OverrideKind
from store.models import CalendarOverride, Case


async def set_override(
    session: AsyncSession,
    day: dt.date,
    kind: OverrideKind,
    name: str,
    *,
    settings: Settings,
    actor: str,
    now: dt.datetime,
) -> int:
    """Close or open `day` for this body; return how many open cases got a new due date."""
    before = await load_rules(session, settings)
    override = await session.get(CalendarOverride, day)
    if override is None:
        override = CalendarOverride(day=day, kind=kind.value, name=name, created_at=now)
    else:
        override.kind, override.name = kind.value, name
    session.add(override)
    await session.flush()
    await record_event(
        session,
        case_id=None,
        actor=actor,
        action=f"calendar_{kind.value}",
        at=now,
        data={"date": day.isoformat(), "name": name},
    )
    return await _recompute(session, day, before, await load_rules(session, settings), actor, now)


async def remove_override(
    session: AsyncSession, day: dt.date, *, settings: Settings, actor: str, now: dt.datetime
) -> int:
    """Drop the body's override for `day` (back to the national calendar); recompute cases."""
    before = await load_rules(session, settings)
    override = await session.get(CalendarOverride, day)
    if override is not None:
        await session.delete(override)
        await session.flush()
        await record_event(
            session,
            case_id=None,
            actor=actor,
            action="calendar_reset",
            at=now,
            data={"date": day.isoformat()},
        )
    return await _recompute(session, day, before, await load_rules(session, settings), actor, now)


async def _recompute(
    session: AsyncSession, day: dt.date, before: Rules, after: Rules, actor: str, now: dt.datetime
) -> int:
    """After `day` changed: the working days stored for the reports, then open due dates, then
    the next reminder days (a milestone may now fall on another day: the next tick looks at
    every case again, and its claims keep what was sent)."""
    delta = int(after.calendar.is_working_day(day)) - int(before.calendar.is_working_day(day))
    for statement in shift_for_override(day, delta, after):
        await session.exec(statement)  # type: ignore[call-overload]
    changed = await recompute_open_cases(session, after, actor, now)
    await session.flush()
    await (await session.connection()).run_sync(stamp_all_next_reminder, after)
    return changed


async def recompute_open_cases(
    session: AsyncSession, rules: Rules, actor: str, now: dt.datetime
) -> int:
    """Recompute every open case's due date under `rules`; log each change; return the count."""
    stmt = select(Case).where(col(Case.status).not_in(list(CLOSED_STATUSES)))
    changed = 0
    for case in (await session.exec(stmt)).all():
        new_due = compute_due_date(case, rules)
        if new_due != case.due_date:
            await record_event(
                session,
                case_id=case.id,
                actor=actor,
                action="due_date_recomputed",
                at=now,
                data={
                    "old": case.due_date.isoformat() if case.due_date else None,
                    "new": new_due.isoformat() if new_due else None,
                },
            )
            case.due_date = new_due
            session.add(case)
            changed += 1
    return changed
