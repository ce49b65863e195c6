"""Benchmark: time the annual report and the complaint recap over N cases.

Usage: python bench/report_annual.py [--cases 20000] [--database-url URL]
Without --database-url a fresh SQLite file in a temporary folder is used. The cases are bulk
inserted (not worked through the workflow, which would take minutes) with realistic dates,
channels, decisions, units and audit events; then each report is built and rendered to text
and xlsx, printing wall time and peak Python memory (tracemalloc) per report.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from app.settings import Settings
from bot.reports.annual import annual_document, annual_figures
from bot.reports.complaints import complaint_figures, complaints_document
from bot.reports.document import Document
from bot.reports.render import render
from bot.workflow.rules import Rules, load_rules
from store.db import Database
from store.enums import CaseKind, Channel, ComplaintStatus, Decision, RequestStatus
from store.migrate import upgrade
from store.models import Case, Event, Unit

YEAR = 2025
UNITS = 40
BATCH = 2000
CHANNELS = [Channel.EMAIL, Channel.TELEGRAM, Channel.BUKU_TAMU, Channel.WHATSAPP, Channel.WEB]
DECISIONS = [Decision.GRANTED_FULL] * 7 + [Decision.GRANTED_PARTIAL, Decision.REFUSED, None]
COMPLAINT_STATUSES = [ComplaintStatus.DONE] * 6 + [
    ComplaintStatus.IN_PROCESS,
    ComplaintStatus.DISPOSED,
    ComplaintStatus.UNVERIFIED,
    ComplaintStatus.ARCHIVED,
]


def _case_rows(n: int, rules: Rules, rng: random.Random) -> tuple[list[dict[str, Any]], int]:
    cal, tz = rules.calendar, rules.settings.tz
    rows, requests = [], 0
    for i in range(n):
        day = dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(365))
        received = dt.datetime.combine(day, dt.time(8 + i % 9, i % 60), tzinfo=tz)
        common = {
            "reference": f"B/{YEAR}/{i:07d}",
            "channel": CHANNELS[i % len(CHANNELS)].value,
            "received_at": received,
            "created_at": received,
            "updated_at": received,
            "language": "id",
            "fee_amount": 0,
            "fee_paid": False,
            "anonymous": False,
            "confidential": False,
            "unit_id": 1 + rng.randrange(UNITS),
        }
        later = lambda days, at=received: dt.datetime.combine(  # noqa: E731
            cal.add_working_days(at.date(), days), dt.time(14), tzinfo=tz
        )
        if i % 10 < 7:
            requests += 1
            decision = DECISIONS[requests % len(DECISIONS)]
            decided = later(rng.randrange(0, 18)) if decision else None
            rows.append(
                {
                    **common,
                    "kind": CaseKind.INFORMATION_REQUEST.value,
                    "status": (RequestStatus.DECIDED if decision else RequestStatus.IN_PROGRESS),
                    "decision": decision.value if decision else None,
                    "refusal_ground": "h" if decision == Decision.REFUSED else None,
                    "decided_at": decided,
                    "due_date": cal.add_working_days(day, 10),
                }
            )
        else:
            status = COMPLAINT_STATUSES[i % len(COMPLAINT_STATUSES)]
            disposed = later(rng.randrange(0, 6)) if status != ComplaintStatus.UNVERIFIED else None
            followed = None
            if status in (ComplaintStatus.DONE, ComplaintStatus.IN_PROCESS) and disposed:
                followed = later(rng.randrange(0, 12), disposed)
            rows.append(
                {
                    **common,
                    "kind": CaseKind.COMPLAINT.value,
                    "status": status.value,
                    "verified_at": disposed,
                    "disposed_at": disposed,
                    "followed_up_at": followed,
                    "rating": 1 + rng.randrange(5) if status == ComplaintStatus.DONE else None,
                }
            )
    return rows, requests


async def load(db: Database, settings: Settings, n: int) -> Rules:
    """Create the schema, the units and `n` cases with one audit event per disposition."""
    await upgrade(db)
    rng = random.Random(6)
    async with db.transaction() as session:
        rules = await load_rules(session, settings)
        conn = await session.connection()
        await conn.execute(
            insert(Unit), [{"code": f"u{u}", "name": f"Unit {u:02d}"} for u in range(UNITS)]
        )
        rows, _ = _case_rows(n, rules, rng)
        columns = {key for row in rows for key in row}  # executemany needs the same keys
        rows = [{key: row.get(key) for key in columns} for row in rows]
        for start in range(0, len(rows), BATCH):
            await conn.execute(insert(Case), rows[start : start + BATCH])
        disposed = [
            {
                "case_id": i + 1,
                "actor": f"officer:{1 + i % 3}:Admin {1 + i % 3}",
                "action": "verify_and_dispose",
                "at": row["disposed_at"],
                "data": {},
            }
            for i, row in enumerate(rows)
            if row.get("disposed_at")
        ]
        for start in range(0, len(disposed), BATCH):
            await conn.execute(insert(Event), disposed[start : start + BATCH])
    # Fresh statistics, as autovacuum would have them on a live database: without them
    # PostgreSQL plans the events-cases join as if the tables were empty.
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    return rules


async def measure(name: str, work: Callable[[], Awaitable[Document]]) -> None:
    """Run `work`, then render text and xlsx; print time and peak traced memory."""
    tracemalloc.start()
    started = time.perf_counter()
    document = await work()
    built = time.perf_counter()
    render(document, "text")
    render(document, "xlsx")
    done = time.perf_counter()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{name:<11} query+build {built - started:6.3f} s   render text+xlsx "
        f"{done - built:6.3f} s   peak memory {peak / 2**20:6.1f} MiB"
    )


async def main(cases: int, url: str | None) -> None:
    """Load the cases and time both reports."""
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        db = Database.from_url(url)
        try:
            started = time.perf_counter()
            rules = await load(db, settings, cases)
            print(f"{db.dialect}: loaded {cases} cases in {time.perf_counter() - started:.1f} s")

            async def annual() -> Document:
                async with db.session() as session:
                    figures = await annual_figures(session, rules, YEAR)
                print(f"  requests {figures.requests_total}, decided {figures.taken.count}")
                return annual_document(figures, "id", "Bench")

            async def complaints() -> Document:
                async with db.session() as session:
                    figures = await complaint_figures(
                        session,
                        rules,
                        dt.date(YEAR, 1, 1),
                        dt.date(YEAR, 12, 31),
                        dt.date(YEAR + 1, 1, 15),
                    )
                print(f"  complaints {figures.total.total + figures.total.counts['archived']}")
                return complaints_document(figures, "id", "Bench")

            await measure("annual", annual)
            await measure("complaints", complaints)
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.database_url))
