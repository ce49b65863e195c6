"""One scheduler tick: every job once, each in its own transaction; and a dry-run preview."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from bot.crash_points import pause_point
from bot.metrics import record_sweep
from bot.settings import Settings
from bot.workflow.restamp import restamp_if_stale
from bot.workflow.rules import Rules, load_rules
from scheduler.jobs import JOBS
from scheduler.jobs.due_sets import MemoCalendar
from store.db import Database
from store.enums import OutboxStatus
from store.models import OutboxMessage

log = logging.getLogger(__name__)


async def run_jobs(db: Database, settings: Settings, now: dt.datetime) -> dict[str, int]:
    """Run every job once for instant `now`; return how many messages or steps each produced.

    First, if the calendar settings changed since the cases were stamped, every stored date
    is restamped (bot/workflow/restamp.py). Each job commits as one transaction, so its
    reminder records and outbox rows land together or not at all. A failing job is logged and
    rolled back; the others still run and it is tried again on the next tick.
    """
    done: dict[str, int] = {}
    started = time.perf_counter()
    try:
        async with db.transaction() as session:
            await restamp_if_stale(session, settings, now)
    except Exception:
        log.exception("restamping the cases failed; it is tried again on the next tick")
    async with db.session() as session:
        rules = await load_rules(session, settings)
    rules = Rules(settings=rules.settings, calendar=MemoCalendar(rules.calendar))  # type: ignore[arg-type]
    for job in JOBS:
        try:
            async with db.transaction() as session:
                done[job.__name__] = await job(session, rules, now)
                await pause_point("scheduler.before_commit")
        except Exception:
            log.exception("scheduler job %s failed; it runs again on the next tick", job.__name__)
            done[job.__name__] = -1
    record_sweep(time.perf_counter() - started, now)
    return done


@dataclass(frozen=True)
class Planned:
    """A message that would go out: new from the jobs, or already waiting in the outbox."""

    new: bool
    channel: str
    recipient: str
    purpose: str
    not_before: dt.datetime
    case_id: int | None
    body: str


async def preview(db: Database, settings: Settings, at: dt.datetime) -> list[Planned]:
    """What would be sent at instant `at`: the jobs run as of `at` inside one transaction that
    is rolled back, plus pending rows already due by then. Nothing is written or sent.
    """
    async with db.session() as session:
        try:
            last_id = (await session.exec(select(func.max(OutboxMessage.id)))).one() or 0
            rules = await load_rules(session, settings)
            for job in JOBS:
                await job(session, rules, at)
            stmt = (
                select(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                    col(OutboxMessage.not_before) <= at,
                )
                .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
            )
            return [
                Planned(
                    new=row.id > last_id,  # type: ignore[operator]
                    channel=row.channel,
                    recipient=row.recipient,
                    purpose=row.purpose,
                    not_before=row.not_before,
                    case_id=row.case_id,
                    body=row.body,
                )
                for row in (await session.exec(stmt)).all()
            ]
        finally:
            await session.rollback()
