"""The daily digest to each unit chat at the start of office hours: open cases by due date,
overdue first. References, statuses and dates only: group chats never see personal data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import t
from bot.notify.outbox import notify
from bot.notify.purposes import Purpose
from bot.notify.recipients import unit_recipient
from bot.notify.send_windows import in_office_hours
from bot.workflow.rules import Rules
from store.enums import CLOSED_STATUSES
from store.models import Case, Unit

MAX_LINES = 40  # keeps one digest well inside Telegram's 4096-character message limit


def digest_text(cases: list[Case], today: dt.date, language: str) -> str:
    """The digest body: overdue cases first, then by due date, at most MAX_LINES lines."""
    ordered = sorted(cases, key=lambda c: (c.due_date >= today, c.due_date, c.reference))  # type: ignore[operator]
    lines = [t("sched.digest.header", language, date=today.isoformat(), count=len(cases))]
    for case in ordered[:MAX_LINES]:
        assert case.due_date is not None
        lines.append(
            t(
                "sched.digest.overdue_line" if case.due_date < today else "sched.digest.line",
                language,
                reference=case.reference,
                what=t(f"sched.kind.{case.kind}", language),
                status=t(f"desk.status.{case.kind}.{case.status}", language),
                due=case.due_date.isoformat(),
            )
        )
    if len(ordered) > MAX_LINES:
        lines.append(t("sched.digest.more", language, count=len(ordered) - MAX_LINES))
    return "\n".join(lines)


async def unit_digests(session: AsyncSession, rules: Rules, now: dt.datetime) -> int:
    """Queue today's digest to every unit with open cases, once a day (first tick in office
    hours on a working day); returns how many digests were queued.
    """
    if not in_office_hours(now, rules):
        return 0
    today = rules.local_date(now)
    stmt = select(Case).where(
        col(Case.unit_id).is_not(None),
        col(Case.due_date).is_not(None),
        col(Case.status).not_in(list(CLOSED_STATUSES)),
    )
    by_unit: dict[int, list[Case]] = defaultdict(list)
    for case in (await session.exec(stmt)).all():
        by_unit[case.unit_id].append(case)  # type: ignore[index]
    queued = 0
    language = rules.settings.language
    for unit in (await session.exec(select(Unit).order_by(col(Unit.id)))).all():
        recipient = unit_recipient(unit, language)
        if recipient is None or not by_unit.get(unit.id):  # type: ignore[arg-type]
            continue
        queued += await notify(
            session,
            purpose=Purpose.DIGEST,
            recipient=recipient,
            key="sched.digest.header",
            params={"date": today.isoformat(), "count": len(by_unit[unit.id])},  # type: ignore[index]
            text=digest_text(by_unit[unit.id], today, language),  # type: ignore[index]
            subject=t("sched.digest.subject", language, date=today.isoformat()),
            dedup_key=f"digest:{unit.id}:{today.isoformat()}",
            now=now,
        )
    return queued
