"""Operational figures in the Prometheus text format (`/metrics`), for whoever runs Loket.

Most figures are read from the store when they are scraped, so every worker reports the same
numbers however many run, and nothing is lost on a restart: messages received per channel,
cases opened, the outbox (depth per channel and status, age of the oldest row waiting), sends
and failures per channel, and open cases at risk of missing their statutory deadline. What only
one process knows (how long its last reminder sweep took) lives in `PROCESS_REGISTRY`.

No label carries personal data: only channel, kind, status and purpose codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.workflow.rules import Rules
from store.enums import CLOSED_STATUSES, Direction, OutboxStatus
from store.models import Case, Message, OutboxMessage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Open cases due within this many working days (or already late) count as at risk.
AT_RISK_WORKING_DAYS = 1

PROCESS_REGISTRY = CollectorRegistry(auto_describe=True)
SWEEP_SECONDS = Gauge(
    "loket_sweep_duration_seconds",
    "How long this process's last scheduler sweep (every job once) took.",
    registry=PROCESS_REGISTRY,
)
SWEEPS = Gauge(
    "loket_sweep_last_run_timestamp_seconds",
    "When this process last finished a scheduler sweep (Unix time).",
    registry=PROCESS_REGISTRY,
)


@dataclass
class StoreFigures:
    """The figures read from the store at one instant."""

    received: dict[str, int] = field(default_factory=dict)  # channel -> inbound messages
    opened: dict[tuple[str, str], int] = field(default_factory=dict)  # (kind, channel) -> cases
    outbox: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, status) -> rows
    oldest_pending_seconds: float = 0.0
    at_risk: dict[str, int] = field(default_factory=dict)  # kind -> open cases due soon or late
    late: dict[str, int] = field(default_factory=dict)  # kind -> open cases past their due date


async def read_figures(session: AsyncSession, rules: Rules, now: dt.datetime) -> StoreFigures:
    """Every store-derived figure, by grouped counts (one query each, no row per case)."""
    figures = StoreFigures()
    received = select(Message.channel, func.count()).where(Message.direction == Direction.INBOUND)
    for channel, count in (await session.exec(received.group_by(Message.channel))).all():
        figures.received[channel] = count
    opened = select(Case.kind, Case.channel, func.count()).group_by(Case.kind, Case.channel)
    for kind, channel, count in (await session.exec(opened)).all():
        figures.opened[(kind, channel)] = count
    rows = select(OutboxMessage.channel, OutboxMessage.status, func.count()).group_by(
        OutboxMessage.channel, OutboxMessage.status
    )
    for channel, status, count in (await session.exec(rows)).all():
        figures.outbox[(channel, status)] = count
    oldest = select(func.min(OutboxMessage.created_at)).where(
        OutboxMessage.status == OutboxStatus.PENDING
    )
    first = (await session.exec(oldest)).one()
    if first is not None:
        first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)
        figures.oldest_pending_seconds = max((now - first).total_seconds(), 0.0)
    today = rules.local_date(now)
    horizon = rules.calendar.add_working_days(today, AT_RISK_WORKING_DAYS)
    late = func.sum(case((col(Case.due_date) < today, 1), else_=0))
    open_due = (
        select(Case.kind, func.count(), late)
        .where(col(Case.status).not_in(CLOSED_STATUSES), col(Case.due_date) <= horizon)
        .group_by(Case.kind)
    )
    for kind, count, late_count in (await session.exec(open_due)).all():
        figures.at_risk[kind] = count
        figures.late[kind] = int(late_count or 0)
    return figures


class _StoreCollector(Collector):
    """Hands prometheus_client the figures read for one scrape."""

    def __init__(self, figures: StoreFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        """The metric families of `figures`."""
        f = self.figures
        received = CounterMetricFamily(
            "loket_messages_received",
            "Messages received from citizens, per channel.",
            labels=["channel"],
        )
        for channel, count in sorted(f.received.items()):
            received.add_metric([channel], count)
        yield received
        opened = CounterMetricFamily(
            "loket_cases_opened", "Cases opened, per kind and channel.", labels=["kind", "channel"]
        )
        for (kind, channel), count in sorted(f.opened.items()):
            opened.add_metric([kind, channel], count)
        yield opened
        outbox = GaugeMetricFamily(
            "loket_outbox_messages",
            "Outbox rows per channel and status (pending is the depth; sent and failed count "
            "sends and failures).",
            labels=["channel", "status"],
        )
        for (channel, status), count in sorted(f.outbox.items()):
            outbox.add_metric([channel, status], count)
        yield outbox
        yield GaugeMetricFamily(
            "loket_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row still waiting to be sent (0 when none waits).",
            value=f.oldest_pending_seconds,
        )
        at_risk = GaugeMetricFamily(
            "loket_cases_at_risk",
            f"Open cases due within {AT_RISK_WORKING_DAYS} working day(s) or already late.",
            labels=["kind"],
        )
        late = GaugeMetricFamily(
            "loket_cases_late", "Open cases past their statutory due date.", labels=["kind"]
        )
        for kind, count in sorted(f.at_risk.items()):
            at_risk.add_metric([kind], count)
        for kind, count in sorted(f.late.items()):
            late.add_metric([kind], count)
        yield at_risk
        yield late


def render(figures: StoreFigures) -> bytes:
    """The Prometheus text exposition of `figures` and of this process's own metrics."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_StoreCollector(figures))
    return generate_latest(registry) + generate_latest(PROCESS_REGISTRY)


def record_sweep(seconds: float, finished_at: dt.datetime) -> None:
    """Remember how long this process's last sweep took and when it ended."""
    SWEEP_SECONDS.set(seconds)
    SWEEPS.set(finished_at.timestamp())
