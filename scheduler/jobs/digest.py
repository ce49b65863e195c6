"""The daily digest to each unit chat at the start of office hours: open cases by due date,
overdue first. References, statuses and dates only: group chats never see personal data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.notify.outbox import message_row, queue_rows
from bot.notify.purposes import Purpose
from bot.notify.recipients import unit_recipient
from bot.notify.send_windows import in_office_hours
from bot.workflow.rules import Rules
from store.enums import CLOSED_STATUSES
from store.models import Case, OutboxMessage, Unit

MAX_LINES = 40  # keeps one digest well inside Telegram's 4096-character message limit


def digest_text(cases: Sequence[Any], count: int, today: dt.date, language: str) -> str:
    """The digest body: `cases` (overdue first, then by due date, at most MAX_LINES of them)
    out of `count` open cases."""
    ordered = sorted(cases, key=lambda c: (c.due_date >= today, c.due_date, c.reference))
    lines = [t("sched.digest.header", language, date=today.isoformat(), count=count)]
    for line in ordered[:MAX_LINES]:
        lines.append(
            t(
                "sched.digest.overdue_line" if line.due_date < today else "sched.digest.line",
                language,
                reference=line.reference,
                what=t(f"sched.kind.{line.kind}", language),
                status=t(f"desk.status.{line.kind}.{line.status}", language),
                due=line.due_date.isoformat(),
            )
        )
    if count > MAX_LINES:
        lines.append(t("sched.digest.more", language, count=count - MAX_LINES))
    return "\n".join(lines)


def _dedup_key(unit_id: int, today: dt.date) -> str:
    return f"digest:{unit_id}:{today.isoformat()}"


async def unit_digests(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's digest to every unit with open cases, once a day (first tick in office
    hours on a working day); returns how many digests were queued.

    Units whose digest of today is queued already are skipped before any case is read; for the
    others one grouped query counts their open cases and one windowed query reads their first
    MAX_LINES lines.
    """
    if not in_office_hours(now, rules):
        return 0
    today, language = rules.local_date(now), rules.settings.language
    units = {
        u.id: (u, r)
        for u in (await session.exec(select(Unit).order_by(col(Unit.id)))).all()
        if u.id is not None and (r := unit_recipient(u, language)) is not None
    }
    keys = [_dedup_key(unit_id, today) for unit_id in units]
    queued = select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).in_(keys))
    done = set((await session.exec(queued)).all()) if keys else set()
    wanted = [unit_id for unit_id in units if _dedup_key(unit_id, today) not in done]
    if not wanted:
        return 0
    open_cases = (
        col(Case.unit_id).in_(wanted),
        col(Case.due_date).is_not(None),
        col(Case.status).not_in(list(CLOSED_STATUSES)),
    )
    conn = await session.connection()
    per_unit = sa_select(col(Case.unit_id), func.count()).where(*open_cases)
    counts = dict((await conn.execute(per_unit.group_by(col(Case.unit_id)))).all())  # type: ignore[arg-type]
    overdue_last = case((col(Case.due_date) >= today, 1), else_=0)
    # Python's order of references (code points): PostgreSQL's own collation may differ.
    reference = col(Case.reference)
    if conn.dialect.name == "postgresql":
        reference = reference.collate("C")
    place = (
        func.row_number()
        .over(
            partition_by=col(Case.unit_id),
            order_by=(overdue_last, col(Case.due_date), reference),
        )
        .label("place")
    )
    lines = (
        sa_select(
            col(Case.unit_id), col(Case.reference), col(Case.kind), col(Case.status),
            col(Case.due_date), place,
        )
        .where(*open_cases)
        .subquery()
    )  # fmt: skip
    by_unit: dict[int, list[Any]] = defaultdict(list)
    for row in await conn.execute(sa_select(lines).where(lines.c.place <= MAX_LINES)):
        by_unit[row.unit_id].append(row)
    rows = [
        message_row(
            purpose=Purpose.DIGEST,
            recipient=units[unit_id][1],
            key="sched.digest.header",
            params={"date": today.isoformat(), "count": counts[unit_id]},
            text=digest_text(by_unit[unit_id], counts[unit_id], today, language),
            subject=t("sched.digest.subject", language, date=today.isoformat()),
            dedup_key=_dedup_key(unit_id, today),
            now=now,
        )
        for unit_id in wanted
        if counts.get(unit_id)
    ]
    return await queue_rows(session, rows)
