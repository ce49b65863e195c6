"""The annual report's SQL aggregations on both backends, from cases built step by step."""

from __future__ import annotations

import datetime as dt

from bot.cases.opening import open_objection
from bot.reports.annual import annual_document, annual_figures
from bot.services import Services
from bot.workflow import objections, requests
from bot.workflow.rules import load_rules
from store.enums import AtasanDecision, Channel, DisputeOutcome
from store.models import Case
from tests.conftest import JAKARTA
from tests.support.builders import COMPLETE_REQUEST, make_case, make_unit

_phones = iter(range(1000, 2000))


def wib(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JAKARTA)


async def request(services: Services, received_at: dt.datetime, **kwargs: object) -> Case:
    """A complete request from a requester of its own (a phone number is one person's)."""
    details = {**COMPLETE_REQUEST, "phone": f"0812-5555-{next(_phones)}"}
    return await make_case(services, received_at=received_at, details=details, **kwargs)  # type: ignore[arg-type]


async def test_local_dates_working_days_decisions_and_objections(services: Services) -> None:
    unit = await make_unit(services)
    # 2024-12-31 23:30 WIB is still 2024 locally although it is 16:30 UTC; 2025-01-01 00:30 WIB
    # (17:30 UTC on 31 December) is 2025.
    late_evening = await request(services, wib(2024, 12, 31, 23, 30))
    new_year = await request(services, wib(2025, 1, 1, 0, 30))
    refused = await request(services, wib(2025, 1, 6, 9), channel=Channel.EMAIL)
    slow = await request(services, wib(2025, 2, 3, 9), unit_id=unit.id)
    open_one = await request(services, wib(2025, 3, 3, 9))
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        for case in (refused, slow, open_one, late_evening, new_year):
            session.add(case)
        await requests.decide(
            session,
            refused,
            decision="refused",
            refusal_ground="h",
            consequence_test="Membuka data pribadi",
            rules=rules,
            actor="t",
            now=wib(2025, 1, 8, 10),
        )
        # received Mon 3 Feb 2025; decided Mon 17 Feb: 10 working days, on the deadline day
        await requests.decide(
            session,
            slow,
            decision="granted_partial",
            redaction_note="NIK dihitamkan",
            rules=rules,
            actor="t",
            now=wib(2025, 2, 17, 15),
        )
        await requests.decide(
            session,
            new_year,
            decision="not_held",
            holder_body="BPS",
            rules=rules,
            actor="t",
            now=wib(2025, 1, 30, 15),
        )
        objection = await open_objection(
            session,
            refused,
            ground="a",
            reason="Tidak setuju",
            channel=Channel.EMAIL,
            rules=rules,
            actor="t",
            now=wib(2025, 1, 10, 9),
        )
        await objections.answer(
            session,
            objection,
            decision=AtasanDecision.UPHELD,
            reasons="Data pribadi",
            atasan_name="Sekda",
            atasan_position="Atasan PPID",
            rules=rules,
            actor="t",
            now=wib(2025, 1, 20, 9),
        )
        await objections.file_dispute(
            session, objection, rules=rules, actor="t", now=wib(2025, 1, 22, 9)
        )
        await objections.record_dispute_outcome(
            session,
            objection,
            outcome=DisputeOutcome.MEDIATION,
            result="Sepakat",
            rules=rules,
            actor="t",
            now=wib(2025, 3, 1, 9),
        )
    async with services.db.session() as session:
        rules = await load_rules(session, services.settings)
        figures = await annual_figures(session, rules, 2025)
        previous = await annual_figures(session, rules, 2024)
    data = annual_document(figures, "en", "PPID Test").data
    assert previous.requests_total == 1 and previous.by_month[12] == 1
    assert data["requests_total"] == 4
    assert data["by_month"]["2025-01"] == 2 and data["by_month"]["2025-02"] == 1
    assert data["by_channel"]["email"] == 1 and data["by_channel"]["buku_tamu"] == 3
    assert data["refused"] == 1 and data["refused_by_ground"]["h"] == 1
    assert (data["granted_partial"], data["not_held"], data["undecided"]) == (1, 1, 1)
    # refused: Mon 6 -> Wed 8 Jan = 2; slow: 10; new year: 1 Jan (holiday) -> Thu 30 Jan:
    # 27 January (Isra Mi'raj) and 28 January (cuti bersama) are not counted -> 18 (late).
    assert data["max_working_days"] == 18 and data["late"] == 1
    assert (data["within_10"], data["within_17"]) == (2, 2)
    assert data["average_working_days"] == 10.0
    assert data["objections"] == {
        "total": 1,
        "by_ground": {"a": 1, "b": 0, "c": 0, "d": 0, "e": 0, "f": 0, "g": 0},
        "atasan_answers": {"upheld": 1, "overturned": 0, "pending": 0},
    }
    assert data["disputes"]["total"] == 1 and data["disputes"]["by_outcome"]["mediation"] == 1
    units = {row["unit"]: row["requests"] for row in data["by_unit"]}
    assert units == {"Unit dinkes": 1, None: 3}
