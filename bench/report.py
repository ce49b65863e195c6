"""Figure `report`: the annual report and the complaint recap over N cases of one year.

The cases are bulk inserted through SQLAlchemy Core in batches (not worked through the
workflow, which would take hours at 1,000,000) with realistic dates, channels, decisions,
units and audit events: 70 % information requests, 30 % complaints across 40 units with every
status, each complaint with its registration, disposition and final transitions in the audit
log. The report columns and the events' recap columns are then stamped set-based (as migrations
0013 and 0020 do on an existing database), `ANALYZE` runs, and each report is built (SQL +
document) and rendered to text and xlsx, `--repeat` times (the first run in a process also loads
the holiday calendar).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sqlalchemy import event, insert, text

from app.settings import Settings
from bench.common import backend_of, bench_database, emit, peak_rss_mb, reset_peak_rss
from bot.reports.annual import annual_document, annual_figures
from bot.reports.complaints import complaint_figures, complaints_document
from bot.reports.document import Document
from bot.reports.render import render
from bot.workflow.event_columns import stamp_all_events
from bot.workflow.report_columns import stamp_all
from bot.workflow.rules import Rules, load_rules
from store.db import Database
from store.enums import CaseKind, Channel, ComplaintStatus, Decision, RequestStatus
from store.migrate import upgrade
from store.models import Case, Event, Unit

YEAR = 2025
UNITS = 40
BATCH = 5000
CHANNELS = [Channel.EMAIL, Channel.TELEGRAM, Channel.BUKU_TAMU, Channel.WHATSAPP, Channel.WEB]
DECISIONS = [Decision.GRANTED_FULL] * 7 + [Decision.GRANTED_PARTIAL, Decision.REFUSED, None]
COMPLAINT_STATUSES = [ComplaintStatus.DONE] * 6 + [
    ComplaintStatus.IN_PROCESS,
    ComplaintStatus.DISPOSED,
    ComplaintStatus.UNVERIFIED,
    ComplaintStatus.ARCHIVED,
]
CASE_KEYS = (
    "reference", "channel", "received_at", "created_at", "updated_at", "language", "fee_amount",
    "fee_paid", "anonymous", "confidential", "unit_id", "kind", "status", "decision",
    "refusal_ground", "decided_at", "closed_at", "due_date", "verified_at", "disposed_at",
    "followed_up_at", "rating",
)  # fmt: skip


class CaseMaker:
    """Case rows (and their audit events) for case number i, reproducibly."""

    def __init__(self, rules: Rules, n: int, years: int = 1) -> None:
        self.cal, self.tz, self.n, self.years = rules.calendar, rules.settings.tz, n, years
        self.rng = random.Random(6)
        self._later: dict[tuple[dt.date, int], dt.date] = {}

    def _after(self, day: dt.date, days: int, hour: int = 14) -> dt.datetime:
        key = (day, days)
        if key not in self._later:
            self._later[key] = self.cal.add_working_days(day, days)
        return dt.datetime.combine(self._later[key], dt.time(hour), tzinfo=self.tz)

    def case(self, i: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Row i and its events (case ids are i + 1: the table starts empty)."""
        rng = self.rng
        # Cases arrive through the year in order, as in a live store (row order = time order).
        span = 365 * self.years
        day = dt.date(YEAR - self.years + 1, 1, 1) + dt.timedelta(days=i * span // self.n)
        minute = (i * span * 9 * 60 // self.n) % (9 * 60)
        received = dt.datetime.combine(day, dt.time(8 + minute // 60, minute % 60), tzinfo=self.tz)
        row: dict[str, Any] = dict.fromkeys(CASE_KEYS)
        row.update(
            reference=f"B/{YEAR}/{i:07d}",
            channel=CHANNELS[i % len(CHANNELS)].value,
            received_at=received,
            created_at=received,
            updated_at=received,
            language="id",
            fee_amount=0,
            fee_paid=False,
            anonymous=False,
            confidential=False,
            unit_id=1 + rng.randrange(UNITS),
        )
        if i % 10 < 7:
            decision = DECISIONS[i % len(DECISIONS)]
            decided = self._after(day, rng.randrange(0, 18)) if decision else None
            row.update(
                kind=CaseKind.INFORMATION_REQUEST.value,
                status=RequestStatus.DECIDED if decision else RequestStatus.IN_PROGRESS,
                decision=decision.value if decision else None,
                refusal_ground="h" if decision == Decision.REFUSED else None,
                decided_at=decided,
                closed_at=decided,
                due_date=self.cal.add_working_days(day, 10),
            )
            return row, []
        status = COMPLAINT_STATUSES[i % len(COMPLAINT_STATUSES)]
        events = [_event(i, "registered", received, ComplaintStatus.UNVERIFIED)]
        disposed = followed = None
        if status not in (ComplaintStatus.UNVERIFIED, ComplaintStatus.ARCHIVED):
            disposed = self._after(day, rng.randrange(0, 6))
            events.append(_event(i, "verify_and_dispose", disposed, ComplaintStatus.DISPOSED))
        if status in (ComplaintStatus.DONE, ComplaintStatus.IN_PROCESS) and disposed:
            followed = self._after(disposed.date(), rng.randrange(0, 12), 15)
            events.append(_event(i, "post_followup", followed, ComplaintStatus.IN_PROCESS))
        if status == ComplaintStatus.DONE and followed:
            events.append(_event(i, "close", followed + dt.timedelta(days=10), status))
        if status == ComplaintStatus.ARCHIVED:
            events.append(_event(i, "archive", self._after(day, 3), status))
        row.update(
            kind=CaseKind.COMPLAINT.value,
            status=status.value,
            verified_at=disposed,
            disposed_at=disposed,
            followed_up_at=followed,
            rating=1 + rng.randrange(5) if status == ComplaintStatus.DONE else None,
        )
        return row, events


def _event(i: int, action: str, at: dt.datetime, to_status: str) -> dict[str, Any]:
    officer = 1 + i % 3
    return {"case_id": i + 1, "actor": f"officer:{officer}:Admin {officer}", "action": action,
            "at": at, "to_status": str(to_status), "data": {}}  # fmt: skip


def _batches(maker: CaseMaker, n: int) -> Iterator[tuple[list[dict[str, Any]], list[Any]]]:
    for start in range(0, n, BATCH):
        cases, events = [], []
        for i in range(start, min(n, start + BATCH)):
            row, evs = maker.case(i)
            cases.append(row)
            events.extend(evs)
        yield cases, events


async def load(db: Database, settings: Settings, n: int, years: int = 1) -> Rules:
    """Create the schema, the units and `n` cases received over the `years` years up to YEAR
    with their audit events, then ANALYZE."""
    await upgrade(db)
    async with db.transaction() as session:
        rules = await load_rules(session, settings)
        conn = await session.connection()
        await conn.execute(
            insert(Unit), [{"code": f"u{u}", "name": f"Unit {u:02d}"} for u in range(UNITS)]
        )
        for cases, events in _batches(CaseMaker(rules, n, years), n):
            await conn.execute(insert(Case), cases)
            if events:
                await conn.execute(insert(Event), events)
        # The report columns and the events' recap columns, as migrations 0013 and 0020 fill
        # them on an existing database (bulk loads bypass record_event, which stamps events).
        started = time.perf_counter()
        await conn.run_sync(stamp_all, rules)
        print(f"# report columns stamped in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        await conn.run_sync(stamp_all_events, rules)
        print(f"# event columns stamped in {time.perf_counter() - started:.1f} s", flush=True)
    # Fresh statistics and visibility map, as autovacuum keeps them on a live database: without
    # them PostgreSQL plans the events-cases join as if the tables were empty and reads the
    # table behind every covering-index entry.
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
    return rules


async def _measure(
    name: str, n: int, backend: str, work: Callable[[], Awaitable[Document]]
) -> dict[str, Any]:
    reset_peak_rss()
    started = time.perf_counter()
    document = await work()
    built = time.perf_counter()
    render(document, "text")
    render(document, "xlsx")
    rendered = time.perf_counter() - built
    seconds = built - started
    return emit(
        name,
        n,
        backend,
        f"query + build {seconds:.2f} s, render text + xlsx {rendered:.2f} s",
        seconds=round(seconds, 3),
        render_seconds=round(rendered, 3),
        peak_rss_mb=peak_rss_mb(),
    )


async def explain(db: Database, work: Callable[[], Awaitable[Document]]) -> None:
    """Run `work` timing each SQL statement, then print each statement's time and plan
    (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN), to show the indexes the reports use."""
    captured: list[list[Any]] = []

    def before(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: Any) -> None:
        captured.append([statement, params, time.perf_counter()])

    def after(*_args: Any) -> None:
        captured[-1][2] = time.perf_counter() - captured[-1][2]

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        await work()
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    prefix = "EXPLAIN " if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    async with db.engine.connect() as conn:
        for statement, params, seconds in captured:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            print(f"# {seconds:.3f} s SQL:", " ".join(statement.split())[:150], "...")
            plan = await conn.exec_driver_sql(prefix + statement, params)
            for row in plan.all():
                print("#   ", row[-1])


async def report(
    n: int, url: str, years: int = 1, show_plans: bool = False, repeat: int = 1
) -> None:
    """Load n cases into `url` and print the figures of both reports `repeat` times (and
    their plans)."""
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    db = Database.from_url(url)
    backend = backend_of(url)
    try:
        started = time.perf_counter()
        rules = await load(db, settings, n, years)
        print(f"# loaded {n} cases in {time.perf_counter() - started:.1f} s", flush=True)

        async def annual() -> Document:
            async with db.session() as session:
                figures = await annual_figures(session, rules, YEAR)
            return annual_document(figures, "id", "Bench")

        async def complaints() -> Document:
            start, end = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
            async with db.session() as session:
                figures = await complaint_figures(
                    session, rules, start, end, dt.date(YEAR + 1, 1, 15)
                )
            return complaints_document(figures, "id", "Bench")

        for _ in range(repeat):
            await _measure("report_annual", n, backend, annual)
            await _measure("report_complaints", n, backend, complaints)
        if show_plans:
            await explain(db, annual)
            await explain(db, complaints)
    finally:
        await db.dispose()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--explain: print the query plans after the figures; --repeat: build each report K times."""
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    parser.add_argument("--repeat", type=int, default=1, help="build each report K times")
    parser.add_argument("--years", type=int, default=1, help="years the N cases span")


def run(args: argparse.Namespace) -> None:
    """Run the figure with the parsed arguments."""
    with bench_database(args.database_url, args.backend) as url:
        asyncio.run(report(args.n, url, args.years, args.explain, args.repeat))
