"""The recap's officers' table reads the events alone (bot/reports/complaint_officers.py): its
figures equal the former computation that joined each event to its case and converted
`events.at` per row, on a mixed data set; the migration's data step fills existing events as
`record_event` stamps them; a TIMEZONE change restamps the events' local dates set-wise.

January 2026 in WIB: Thu 01-01 is New Year, Fri 01-16 Isra Mikraj. Several actions fall just
after local midnight, when the UTC date is still the day before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import col, select

from bot.cases.audit import record_event
from bot.reports.complaint_officers import ACTIONS, admin_rows, officer_rows
from bot.reports.sql import Period, as_date, local_date
from bot.reports.workdays import DayCounter
from bot.services import Services
from bot.workflow import complaints as wf
from bot.workflow.restamp import restamp_if_stale
from bot.workflow.rules import load_rules
from store.enums import CaseKind
from store.models import Case, Event
from tests.bot.workflow.helpers import open_request, step, wib
from tests.support.builders import make_case, make_unit
from tests.support.migrations import rerun_with_data_steps

D = dt.date.fromisoformat
RINA, AYU, BUDI = "officer:7:Rina", "officer:8:Ayu", "officer:9:Budi"
JANUARY = (D("2026-01-01"), D("2026-01-31"))


async def _complaint(services: Services, at: dt.datetime) -> Case:
    services.clock.set(at)  # type: ignore[attr-defined]
    return await make_case(services, kind=CaseKind.COMPLAINT)


async def _mixed(services: Services) -> dict[str, int]:
    """Complaints verified, redisposed, held and archived by three officers around local
    midnight and the period's edges, and a request with a `hold` event (not a complaint)."""
    unit = (await make_unit(services, "dinkes", "Dinas Kesehatan")).id
    other = (await make_unit(services, "dishub", "Dinas Perhubungan")).id
    assert unit is not None and other is not None
    late = await _complaint(services, wib("2025-12-31", 23, 30))
    slow = await _complaint(services, wib("2026-01-05"))
    held = await _complaint(services, wib("2026-01-05", 10))
    archived = await _complaint(services, wib("2026-01-09"))
    after = await _complaint(services, wib("2026-01-20"))
    saturday = await _complaint(services, wib("2026-01-26"))
    request = await open_request(services, "2026-01-07")

    async with step(services, late, wib("2026-01-01", 0, 10)) as (s, c, rules, now):
        await wf.verify_and_dispose(s, c, unit_id=unit, rules=rules, actor=RINA, now=now)
    async with step(services, slow, wib("2026-01-12", 14)) as (s, c, rules, now):
        await wf.verify_and_dispose(s, c, unit_id=unit, rules=rules, actor=AYU, now=now)
    async with step(services, slow, wib("2026-01-19", 8)) as (s, c, rules, now):
        await wf.redispose(s, c, unit_id=other, rules=rules, actor=RINA, now=now)
    async with step(services, held, wib("2026-01-06", 0, 30)) as (s, c, rules, now):
        await wf.verify_and_dispose(s, c, unit_id=unit, rules=rules, actor=BUDI, now=now)
    async with step(services, held, wib("2026-01-07", 11)) as (s, c, rules, now):
        await wf.hold(s, c, reason="Menunggu data", rules=rules, actor=BUDI, now=now)
    async with step(services, archived, wib("2026-01-13", 15)) as (s, c, rules, now):
        await wf.archive(s, c, reason="Ganda", rules=rules, actor=RINA, now=now)
    async with step(services, after, wib("2026-02-01", 0, 10)) as (s, c, rules, now):
        await wf.verify_and_dispose(s, c, unit_id=unit, rules=rules, actor=AYU, now=now)
    async with step(services, saturday, wib("2026-01-31", 23, 50)) as (s, c, rules, now):
        await wf.verify_and_dispose(s, c, unit_id=other, rules=rules, actor=AYU, now=now)
    async with services.db.transaction() as session:
        await record_event(
            session, case_id=request.id, actor=RINA, action="hold", at=wib("2026-01-08")
        )
    return {"late": late.id or 0, "saturday": saturday.id or 0}


def _joined(period: Period, dialect: str, tz: ZoneInfo) -> Any:
    """The officers' query as it was: each event joined to its case, its date converted."""
    acted_on = local_date(Event.at, dialect, tz)
    return (
        select(Event.action, acted_on, Event.actor, Case.received_on, func.count())
        .join(Case, col(Case.id) == col(Event.case_id))
        .where((Case.kind == CaseKind.COMPLAINT) & period.contains(Event.at))
        .where(col(Event.action).in_(ACTIONS))
        .group_by(Event.actor, Event.action, Case.received_on, acted_on)
    )


async def _both(services: Services, settings: Any = None) -> tuple[Any, Any, list[Any]]:
    """(figures from the events alone, figures from the former join, the join's groups)."""
    settings = settings or services.settings
    async with services.db.session() as session:
        rules = await load_rules(session, settings)
        period = Period.of(*JANUARY, settings.tz)
        new = await officer_rows(session, rules, period, DayCounter(rules.calendar))
        dialect = session.get_bind().dialect.name
        groups = (await session.exec(_joined(period, dialect, settings.tz))).all()
    old = admin_rows(groups, rules, DayCounter(rules.calendar))
    days = (rules.settings.complaint_verify_days, rules.settings.report_disposition_days)
    return [a.as_json(*days) for a in new], [a.as_json(*days) for a in old], list(groups)


async def _columns(services: Services) -> dict[int, tuple[Any, ...]]:
    async with services.db.session() as session:
        rows = await session.exec(
            select(Event.id, Event.case_kind, Event.case_received_on, Event.acted_on)
        )
        return {i: (kind, on and as_date(on), day and as_date(day)) for i, kind, on, day in rows}


async def _expected_columns(services: Services, tz: ZoneInfo) -> dict[int, tuple[Any, ...]]:
    """What every event should carry: its case's kind and receipt date, its own local date."""
    async with services.db.session() as session:
        rows = await session.exec(
            select(Event.id, Event.at, Case.kind, Case.received_on).outerjoin(
                Case, col(Case.id) == col(Event.case_id)
            )
        )
        result = {}
        for i, at, kind, received in rows:
            aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            received = received and as_date(received)
            result[i] = (kind, received, aware.astimezone(tz).date())
        return result


async def test_the_officers_table_from_events_alone_equals_the_join(services: Services) -> None:
    await _mixed(services)
    new, old, groups = await _both(services)
    assert new == old
    assert len(groups) >= 6
    by_name = {a["name"]: a for a in new}
    assert set(by_name) == {"Rina", "Ayu", "Budi"}
    # Rina: 12-31 -> 01-01 (New Year) is 0 days; the redisposal 01-05 -> 01-19 is 9 days
    # (06-09, 12-15, 19); one archive. The request's `hold` is not a complaint's.
    rina = by_name["Rina"]
    assert (rina["verifications"], rina["dispositions"], rina["on_hold"], rina["archived"]) == (
        1,
        2,
        0,
        1,
    )
    assert (rina["verified_within"], rina["verify_average_days"]) == (1, 0.0)
    # Ayu: 01-05 -> 01-12 is 5 days; Saturday 01-31 23:50 counts (01-26 -> 01-30: 4 days);
    # 02-01 00:10 WIB (still 01-31 in UTC) is outside January.
    ayu = by_name["Ayu"]
    assert (ayu["verifications"], ayu["verify_average_days"]) == (2, 4.5)
    # Budi: 01-06 00:30 WIB (01-05 in UTC) is one working day after receipt; one hold.
    budi = by_name["Budi"]
    assert (budi["verifications"], budi["verify_average_days"], budi["on_hold"]) == (1, 1.0, 1)
    assert await _columns(services) == await _expected_columns(services, services.settings.tz)


async def test_the_data_step_fills_existing_events_as_record_event_stamps_them(
    services: Services,
) -> None:
    await _mixed(services)
    written = await _columns(services)
    figures = await _both(services)
    async with services.db.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            update(Event).values(case_kind=None, case_received_on=None, acted_on=None)
        )
    assert {v for v in (await _columns(services)).values()} == {(None, None, None)}

    await rerun_with_data_steps(services, "0019_sweep_milestones")
    assert await _columns(services) == written
    assert await _both(services) == figures


async def test_a_timezone_change_restamps_the_events_local_dates(services: Services) -> None:
    ids = await _mixed(services)
    async with services.db.transaction() as session:  # records the fingerprint
        assert not await restamp_if_stale(session, services.settings, wib("2026-02-02"))
    jayapura = services.settings.model_copy(update={"timezone": "Asia/Jayapura"})
    async with services.db.transaction() as session:
        assert await restamp_if_stale(session, jayapura, wib("2026-02-02"))
    columns = await _columns(services)
    assert columns == await _expected_columns(services, ZoneInfo("Asia/Jayapura"))
    async with services.db.session() as session:
        late = await session.exec(select(Event).where(Event.case_id == ids["late"]))
        saturday = await session.exec(select(Event).where(Event.case_id == ids["saturday"]))
        # Received 12-31 23:30 WIB: 01-01 01:30 WIT; verified 01-31 23:50 WIB: 02-01 in WIT.
        assert {as_date(e.case_received_on) for e in late.all()} == {D("2026-01-01")}
        assert max(as_date(e.acted_on) for e in saturday.all()) == D("2026-02-01")
    new, old, _ = await _both(services, jayapura)
    assert new == old
    ayu = {a["name"]: a for a in new}["Ayu"]
    assert ayu["verifications"] == 1  # the Saturday verification moved to February


async def test_events_are_stamped_in_the_services_time_zone(services: Services) -> None:
    case = await _complaint(services, wib("2026-01-05", 23, 30))
    makassar = services.settings.model_copy(update={"timezone": "Asia/Makassar"})
    central = Services(makassar, services.db, services.clock, services.blobs)
    async with central.db.transaction() as session:  # 23:30 WIB is 00:30 WITA the next day
        event = await record_event(
            session, case_id=case.id, actor=RINA, action="note", at=wib("2026-01-06", 23, 30)
        )
    assert (event.case_kind, event.case_received_on) == (CaseKind.COMPLAINT, D("2026-01-05"))
    assert event.acted_on == D("2026-01-07")
