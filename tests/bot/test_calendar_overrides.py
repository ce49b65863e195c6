"""The body's own closures and openings (stored overrides) and the recomputation they trigger.

Requests received Mon 2026-01-05 are due 10 working days later: 06 07 08 09 | 12 13 14 15
| (16 Isra Mikraj) | 19 20 -> Tue 01-20.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import col, select

from bot.calendar.overrides import remove_override, set_override
from bot.calendar.workdays import WorkingCalendar
from bot.services import Services
from bot.workflow import complaints, requests
from bot.workflow.rules import load_rules
from store.enums import Decision, OverrideKind
from store.models import CalendarOverride, Event
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib

D = dt.date.fromisoformat


async def _override(services: Services, day: str, kind: OverrideKind | None, name: str = "") -> int:
    services.clock.set(wib("2026-01-06", 8))
    async with services.db.transaction() as session:
        args = {"settings": services.settings, "actor": "cli:admin", "now": services.clock.now()}
        if kind is None:
            return await remove_override(session, D(day), **args)  # type: ignore[arg-type]
        return await set_override(session, D(day), kind, name, **args)  # type: ignore[arg-type]


async def _events(services: Services, action: str) -> list[Event]:
    async with services.db.session() as session:
        stmt = select(Event).where(Event.action == action).order_by(col(Event.id))
        return list((await session.exec(stmt)).all())


async def test_closing_a_date_moves_open_cases_and_logs_it(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    decided = await open_request(services, "2026-01-05")
    async with step(services, decided, wib("2026-01-06")) as (s, c, rules, now):
        await requests.decide(s, c, decision=Decision.GRANTED_FULL, rules=rules, actor="t", now=now)
    held = await open_complaint(services, "2026-01-05")
    async with step(services, held, wib("2026-01-06")) as (s, c, rules, now):
        await complaints.hold(s, c, reason="Tunggu", rules=rules, actor="t", now=now)

    assert await _override(services, "2026-01-07", OverrideKind.CLOSED, "Banjir") == 1
    # 06 (1) | 07 closed | 08 09 (3) | 12-15 (7) | 19 20 21 (10).
    assert (await reload(services, case)).due_date == D("2026-01-21")
    assert (await reload(services, decided)).due_date == D("2026-01-20")  # decided: unchanged
    assert (await reload(services, held)).due_date is None
    [recomputed] = await _events(services, "due_date_recomputed")
    assert recomputed.case_id == case.id
    assert recomputed.data == {"old": "2026-01-20", "new": "2026-01-21"}
    [closed] = await _events(services, "calendar_closed")
    assert (closed.case_id, closed.actor, closed.data) == (
        None,
        "cli:admin",
        {"date": "2026-01-07", "name": "Banjir"},
    )
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
    assert rules.calendar.closure_name(D("2026-01-07")) == "Banjir"


async def test_open_then_reset_restores_the_national_calendar(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    assert await _override(services, "2026-01-16", OverrideKind.OPEN, "Tetap buka") == 1
    # Isra Mikraj worked: 06-09 (4) | 12-16 (9) | 19 (10).
    assert (await reload(services, case)).due_date == D("2026-01-19")
    assert await _override(services, "2026-01-16", None) == 1
    assert (await reload(services, case)).due_date == D("2026-01-20")
    assert [e.data for e in await _events(services, "calendar_reset")] == [{"date": "2026-01-16"}]
    # Resetting a date without an override changes nothing and logs nothing.
    assert await _override(services, "2026-02-02", None) == 0
    assert len(await _events(services, "calendar_reset")) == 1


async def test_an_override_replaces_the_previous_one_for_its_date(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    await _override(services, "2026-01-07", OverrideKind.CLOSED, "Banjir")
    await _override(services, "2026-01-07", OverrideKind.OPEN, "Dibuka lagi")
    async with services.db.session() as session:
        rows = (await session.exec(select(CalendarOverride))).all()
    assert [(r.day, r.kind, r.name) for r in rows] == [(D("2026-01-07"), "open", "Dibuka lagi")]
    assert (await reload(services, case)).due_date == D("2026-01-20")


async def test_stored_override_wins_over_the_settings(services: Services) -> None:
    services.settings.extra_closed_dates = [D("2026-01-07")]
    case = await open_request(services, "2026-01-05")
    assert case.due_date == D("2026-01-21")
    assert await _override(services, "2026-01-07", OverrideKind.OPEN) == 1
    assert (await reload(services, case)).due_date == D("2026-01-20")


async def test_rules_share_one_calendar_until_the_overrides_change(services: Services) -> None:
    async def calendar() -> WorkingCalendar:
        async with services.db.session() as session:
            return (await load_rules(session, services.settings)).calendar

    first = await calendar()
    assert await calendar() is first  # what it worked out is kept across transactions
    await _override(services, "2026-01-07", OverrideKind.CLOSED, "Banjir")
    closed = await calendar()
    assert closed is not first
    assert closed.closure_name(D("2026-01-07")) == "Banjir"
    assert first.closure_name(D("2026-01-07")) is None
    await _override(services, "2026-01-07", OverrideKind.CLOSED, "Banjir besar")  # renamed
    assert (await calendar()).closure_name(D("2026-01-07")) == "Banjir besar"
    await _override(services, "2026-01-07", None)
    assert (await calendar()).closure_name(D("2026-01-07")) is None
