"""`/metrics` figures: read from the store by grouped counts, in the Prometheus text format."""

from __future__ import annotations

import datetime as dt

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import read_figures, record_sweep, render
from bot.services import Services
from bot.workflow.rules import load_rules
from store.enums import CaseKind, Channel, OutboxStatus
from store.models import Case, Message, OutboxMessage
from tests.support.builders import make_case

WIB = dt.timezone(dt.timedelta(hours=7))


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


async def test_figures_count_what_the_store_holds_without_personal_data(
    services: Services,
) -> None:
    received = dt.datetime(2026, 3, 2, 9, tzinfo=WIB)  # a Monday
    late_case = await make_case(services, received_at=received)
    soon_case = await make_case(services, received_at=received + dt.timedelta(days=7))
    await make_case(services, kind=CaseKind.COMPLAINT, received_at=received + dt.timedelta(days=14))
    assert late_case.due_date is not None and soon_case.due_date is not None
    # the day after the first case's due date: it is late; the second is due within a day or
    # later, depending on the calendar: read where it stands from its own due date
    now = dt.datetime.combine(late_case.due_date + dt.timedelta(days=1), dt.time(3), dt.UTC)
    async with services.db.transaction() as session:
        for n, (channel, direction) in enumerate(
            [("telegram", "in"), ("telegram", "in"), ("email", "in"), ("telegram", "out")]
        ):
            session.add(
                Message(
                    direction=direction,
                    channel=channel,
                    external_id=f"m{n}",
                    sender="+6281234567890",
                    text="Jl. Merdeka 1",
                )
            )
        for n, (channel, status, age) in enumerate(
            [
                ("telegram", OutboxStatus.PENDING, 90),
                ("telegram", OutboxStatus.PENDING, 30),
                ("email", OutboxStatus.SENT, 500),
                ("email", OutboxStatus.FAILED, 700),
            ]
        ):
            session.add(
                OutboxMessage(
                    dedup_key=f"k{n}",
                    channel=channel,
                    recipient="siti@example.id",
                    purpose="ack",
                    body="Jl. Merdeka 1",
                    status=status,
                    created_at=now - dt.timedelta(seconds=age),
                )
            )
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        figures = await read_figures(session, rules, now)
        open_cases = (await session.exec(Case.__table__.select())).all()  # type: ignore[attr-defined]
    record_sweep(1.25, now)
    text = render(figures)
    samples = _samples(text)

    assert samples[("loket_messages_received_total", (("channel", "telegram"),))] == 2
    assert samples[("loket_messages_received_total", (("channel", "email"),))] == 1
    buku_tamu = Channel.BUKU_TAMU.value
    opened = (("channel", buku_tamu), ("kind", CaseKind.INFORMATION_REQUEST.value))
    assert samples[("loket_cases_opened_total", opened)] == 2
    assert samples[("loket_outbox_messages", (("channel", "telegram"), ("status", "pending")))] == 2
    assert samples[("loket_outbox_messages", (("channel", "email"), ("status", "failed")))] == 1
    assert samples[("loket_outbox_oldest_pending_age_seconds", ())] == 90
    request = (("kind", CaseKind.INFORMATION_REQUEST.value),)
    assert samples[("loket_cases_late", request)] == 1
    horizon = rules.calendar.add_working_days(rules.local_date(now), 1)
    expected_at_risk = 1 + (soon_case.due_date <= horizon)
    assert samples[("loket_cases_at_risk", request)] == expected_at_risk
    assert samples[("loket_sweep_duration_seconds", ())] == 1.25
    assert len(open_cases) == 3
    for secret in (b"Merdeka", b"6281234567890", b"siti@", b"3171"):
        assert secret not in text


async def test_an_empty_store_reports_zero_waiting(services: Services) -> None:
    now = dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC)
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        figures = await read_figures(session, rules, now)
    samples = _samples(render(figures))
    assert samples[("loket_outbox_oldest_pending_age_seconds", ())] == 0
    assert not any(name == "loket_cases_at_risk" for name, _ in samples)
