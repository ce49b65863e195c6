"""Figure `sweep`: one `loket scheduler tick` over N open cases with realistic due dates.

The cases are bulk inserted through SQLAlchemy Core (60 % information requests received over
the last 15 working days, so some are due soon, some due today and some overdue; 30 %
complaints across their open statuses; 10 % objections), with 40 units, an officer with a
Telegram account per unit, a PPID Utama and an Atasan, and one requester with a Telegram chat
per case. Then the public command `loket scheduler tick --json` runs twice as a subprocess on
the real clock: the first tick sends what is due, the second finds it already sent (the cost
of a sweep when nothing new is due). A third tick runs `run_jobs` in this process, the sweep
without the command's start-up, then each job once more in its own transaction, timed (warm).
Otherwise only the CLI is driven, so the figure keeps measuring
whatever the scheduler becomes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from app.settings import Settings
from bench.common import backend_of, bench_database, emit, peak_rss_mb, reset_peak_rss
from bot.clock import local_date
from bot.workflow.report_columns import stamp_all
from bot.workflow.rules import Rules, load_rules
from bot.workflow.sweep_columns import stamp_all_sweep
from scheduler.jobs import JOBS
from scheduler.jobs.due_sets import MemoCalendar
from scheduler.tick import run_jobs
from store.db import Database
from store.enums import CaseKind, Channel, ComplaintStatus, ObjectionStatus, RequestStatus, Role
from store.migrate import upgrade
from store.models import Case, Contact, Officer, OutboxMessage, Requester, Unit

UNITS = 40
BATCH = 5000
COMPLAINT_OPEN = (ComplaintStatus.UNVERIFIED, ComplaintStatus.DISPOSED, ComplaintStatus.IN_PROCESS)


async def load(url: str, n: int) -> None:
    """Schema, people and `n` open cases due around today."""
    db = Database.from_url(url)
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    rng = random.Random(11)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            rules = await load_rules(session, settings)
            cal, tz = rules.calendar, settings.tz
            today = local_date(dt.datetime.now(dt.UTC), tz)
            conn = await session.connection()
            units = [{"code": f"u{u}", "name": f"Unit {u:02d}"} for u in range(UNITS)]
            await conn.execute(insert(Unit), units)
            people = [
                {"name": f"Operator {u}", "role": Role.UNIT_OFFICER.value, "unit_id": u + 1,
                 "telegram_user_id": 900_000 + u, "extra_roles": []}
                for u in range(UNITS)
            ] + [
                {"name": "PPID Utama", "role": Role.PPID_UTAMA.value, "telegram_user_id": 800_001,
                 "extra_roles": [], "unit_id": None},
                {"name": "Atasan PPID", "role": Role.ATASAN.value, "telegram_user_id": 800_002,
                 "extra_roles": [], "unit_id": None},
            ]  # fmt: skip
            await conn.execute(insert(Officer), people)
            back = [d for d in (today - dt.timedelta(days=k) for k in range(22))
                    if cal.is_working_day(d)]  # fmt: skip
            for start in range(0, n, BATCH):
                size = min(BATCH, n - start)
                now = dt.datetime.now(dt.UTC)
                first = (
                    await conn.execute(select(func.coalesce(func.max(Requester.id), 0)))
                ).scalar_one()
                await conn.execute(
                    insert(Requester), [{"name": f"Warga {start + i}"} for i in range(size)]
                )
                await conn.execute(
                    insert(Contact),
                    [{"requester_id": first + 1 + i, "kind": "telegram",
                      "value": str(10_000_000 + start + i)} for i in range(size)],
                )  # fmt: skip
                rows = []
                for i in range(size):
                    k = start + i
                    received_on = back[rng.randrange(len(back))]
                    received = dt.datetime.combine(received_on, dt.time(9, k % 60), tzinfo=tz)
                    row: dict[str, Any] = {
                        "reference": f"S/{k:07d}", "channel": Channel.TELEGRAM.value,
                        "received_at": received, "created_at": received, "updated_at": now,
                        "requester_id": first + 1 + i, "unit_id": 1 + k % UNITS,
                        "language": "id", "fee_amount": 0, "fee_paid": False,
                        "anonymous": False, "confidential": False, "kind": None, "status": None,
                        "due_date": None, "disposed_at": None, "verified_at": None,
                        "completed_at": None,
                    }  # fmt: skip
                    if k % 10 < 6:
                        row.update(
                            kind=CaseKind.INFORMATION_REQUEST.value,
                            status=(RequestStatus.REGISTERED, RequestStatus.IN_PROGRESS)[k % 2],
                            completed_at=received,
                            due_date=cal.add_working_days(received_on, 10),
                        )
                    elif k % 10 < 9:
                        status = COMPLAINT_OPEN[k % 3]
                        days = 3 if status == ComplaintStatus.UNVERIFIED else 5
                        row.update(kind=CaseKind.COMPLAINT.value, status=status.value,
                                   due_date=cal.add_working_days(received_on, days))  # fmt: skip
                        if status != ComplaintStatus.UNVERIFIED:
                            row.update(disposed_at=received, verified_at=received)
                    else:
                        row.update(
                            kind=CaseKind.OBJECTION.value,
                            status=ObjectionStatus.REGISTERED.value,
                            due_date=cal.add_working_days(received_on, 30),
                        )
                    rows.append(row)
                await conn.execute(insert(Case), rows)
            await conn.run_sync(stamp_all, rules)
            await conn.run_sync(stamp_all_sweep, rules)
        async with db.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    finally:
        await db.dispose()


async def _outbox_rows(url: str) -> int:
    db = Database.from_url(url)
    try:
        async with db.session() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        await db.dispose()


def tick(url: str, timeout: float) -> tuple[float, dict[str, int], float]:
    """Run `loket scheduler tick --json` once; (seconds, its JSON, peak RSS MB of the run)."""
    # Office hours all day, so the figure does not depend on the hour it runs at (reminders are
    # queued in office hours of working days only: run it on a working day).
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
           "OFFICE_HOURS_START": "00:00", "OFFICE_HOURS_END": "23:59"}  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "loket"), "scheduler", "tick", "--json"],
        env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tick failed ({done.returncode}): {done.stderr[-2000:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return seconds, json.loads(done.stdout), round(peak / 1024, 1)


async def in_process(url: str) -> tuple[float, dict[str, int], float, dict[str, float]]:
    """One more tick as `run_jobs` in this process: the sweep itself, without the seconds a
    `loket` command spends starting Python and importing; (seconds, jobs, peak RSS MB, and
    the seconds of each job's transaction when run once more, warm)."""
    hours = {"office_hours_start": "00:00", "office_hours_end": "23:59"}  # as tick() sets
    settings = Settings(_env_file=None, database_url=url, **hours)  # type: ignore[call-arg, arg-type]
    db = Database.from_url(url)
    try:
        reset_peak_rss()
        started = time.perf_counter()
        jobs = await run_jobs(db, settings, dt.datetime.now(dt.UTC))
        seconds, peak = time.perf_counter() - started, peak_rss_mb()
        async with db.session() as session:
            rules = await load_rules(session, settings)
        rules = Rules(settings=rules.settings, calendar=MemoCalendar(rules.calendar))  # type: ignore[arg-type]
        each = {}
        for job in JOBS:
            started = time.perf_counter()
            async with db.transaction() as session:
                await job(session, rules, dt.datetime.now(dt.UTC))
            each[job.__name__] = round(time.perf_counter() - started, 3)
        return seconds, jobs, peak, each
    finally:
        await db.dispose()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """How long one tick may take before the figure gives up."""
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tick")


def run(args: argparse.Namespace) -> None:
    """Load, tick twice, print both figures."""
    with bench_database(args.database_url, args.backend) as url:
        started = time.perf_counter()
        asyncio.run(load(url, args.n))
        print(f"# loaded {args.n} open cases in {time.perf_counter() - started:.1f} s", flush=True)
        for figure in ("sweep_first", "sweep_again"):
            seconds, jobs, peak = tick(url, args.timeout)
            outbox = asyncio.run(_outbox_rows(url))
            emit(
                figure, args.n, backend_of(url),
                f"{seconds:.1f} s, {sum(max(v, 0) for v in jobs.values())} job items, "
                f"{outbox} outbox rows, peak {peak} MB",
                seconds=round(seconds, 2), peak_rss_mb=peak, jobs=jobs, outbox_rows=outbox,
            )  # fmt: skip
        seconds, jobs, peak, each = asyncio.run(in_process(url))
        emit(
            "sweep_again_jobs", args.n, backend_of(url),
            f"{seconds:.2f} s for the jobs alone (run_jobs in process), peak {peak} MB",
            seconds=round(seconds, 3), peak_rss_mb=peak, jobs=jobs, warm_seconds_per_job=each,
        )  # fmt: skip
