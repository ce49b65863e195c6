"""Objections (UU KIP Pasal 35-37): grounds a-g, the 30-working-day filing window, the
Atasan's answer and the 14 working days to the Komisi Informasi.

Hand count on the 2026 calendar (SKB 3 Menteri). Non-working weekdays in the range: 01-01,
01-16, 02-16 (cuti Imlek), 02-17 (Imlek), 03-18 (cuti Nyepi), 03-19 (Nyepi), 03-20, 03-23,
03-24 (cuti Idul Fitri), 04-03 (Wafat Yesus Kristus).
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cases.opening import open_objection
from bot.errors import DomainError
from bot.services import Services
from bot.workflow import objections, requests
from bot.workflow.objections import available_grounds
from store.enums import AtasanDecision, Channel, Decision, ObjectionStatus
from store.models import Case
from tests.bot.workflow.helpers import open_complaint, open_request, reload, step, wib

D = dt.date.fromisoformat


async def _decided(services: Services, received: str, on: str, decision: str) -> Case:
    case = await open_request(services, received)
    extra = {
        Decision.REFUSED: {"refusal_ground": "c", "consequence_test": "Menghambat penyidikan"},
        Decision.GRANTED_PARTIAL: {"redaction_note": "Data pribadi dihitamkan"},
    }.get(Decision(decision), {})
    async with step(services, case, wib(on)) as (s, c, rules, now):
        await requests.decide(s, c, decision=decision, rules=rules, actor="t", now=now, **extra)
    return await reload(services, case)


async def _object(services: Services, request: Case, ground: str, on: str) -> Case:
    async with step(services, request, wib(on)) as (s, c, rules, now):
        return await open_objection(
            s, c, ground=ground, reason="Tidak puas", channel=Channel.EMAIL, rules=rules,
            actor="t", now=now,
        )  # fmt: skip


async def _grounds(services: Services, request: Case, on: str) -> dict[str, dt.date]:
    async with step(services, request, wib(on)) as (_, c, rules, now):
        return {w.ground: w.deadline for w in available_grounds(c, rules, now)}


async def test_refusal_ground_a_within_thirty_working_days(services: Services) -> None:
    # Refused Mon 01-05. 30 working days: 06-09 (4) | 12-15 (8) | 19-23 (13) | 26-30 (18)
    # | 02-02..06 (23) | 09-13 (28) | 18 (29) 19 (30) -> Thu 2026-02-19.
    request = await _decided(services, "2026-01-02", "2026-01-05", Decision.REFUSED)
    assert (await _grounds(services, request, "2026-02-19"))["a"] == D("2026-02-19")
    objection = await _object(services, request, "A", "2026-02-19")
    assert (objection.kind, objection.status, objection.objection_ground) == (
        "objection",
        ObjectionStatus.REGISTERED,
        "a",
    )
    assert objection.reference == "KEB/2026/000001"
    assert objection.parent_case_id == request.id
    # The Atasan answers within 30 working days of Thu 02-19: 20 | 23-27 | 03-02..06 | 09-13
    # | 16 17 (18) | 25 26 27 (21) | 30 31 04-01 04-02 (25) | 06 07 08 09 10 (30) -> 04-10.
    assert objection.due_date == D("2026-04-10")
    with pytest.raises(DomainError) as err:
        await _object(services, request, "a", "2026-02-20")
    assert err.value.key == "workflow.objection_ground_unavailable"


async def test_ground_c_arises_the_day_after_the_deadline_lapsed(services: Services) -> None:
    request = await open_request(services, "2026-01-05")  # due 01-20, never answered
    assert "c" not in await _grounds(services, request, "2026-01-20")
    # Arises Wed 01-21; 30 working days after: 22 23 | 26-30 (7) | 02-02..06 (12) | 09-13 (17)
    # | 18 19 20 (20) | 23-27 (25) | 03-02..06 (30) -> Fri 2026-03-06.
    assert (await _grounds(services, request, "2026-01-21"))["c"] == D("2026-03-06")
    await _object(services, request, "c", "2026-03-06")
    with pytest.raises(DomainError):
        await _object(services, request, "c", "2026-03-09")


async def test_ground_g_runs_from_the_lapsed_deadline_not_the_late_answer(
    services: Services,
) -> None:
    # Received 01-05, due 01-20, answered late on Wed 01-28. Ground g arises 01-21 (the day
    # after the deadline lapsed), so its window ends 03-06 like c's; grounds d and f arise on
    # the answer day: 29 30 | 02-02..06 (7) | 09-13 (12) | 18 19 20 (15) | 23-27 (20)
    # | 03-02..06 (25) | 09-13 (30) -> Fri 2026-03-13.
    request = await _decided(services, "2026-01-05", "2026-01-28", Decision.GRANTED_FULL)
    grounds = await _grounds(services, request, "2026-03-06")
    assert (grounds["g"], grounds["d"], grounds["f"]) == (
        D("2026-03-06"),
        D("2026-03-13"),
        D("2026-03-13"),
    )
    assert "a" not in grounds and "e" not in grounds and "c" not in grounds
    later = await _grounds(services, request, "2026-03-09")
    assert "g" not in later and "d" in later
    with pytest.raises(DomainError) as err:
        await _object(services, request, "g", "2026-03-09")
    assert err.value.params["ground"] == "g"
    await _object(services, request, "g", "2026-03-06")


async def test_timely_answer_offers_no_ground_g(services: Services) -> None:
    request = await _decided(services, "2026-01-05", "2026-01-20", Decision.GRANTED_PARTIAL)
    grounds = await _grounds(services, request, "2026-01-21")
    assert sorted(grounds) == ["b", "d", "e", "f"]


@pytest.mark.parametrize(
    ("ground", "reason", "key"),
    [
        ("h", "Tidak puas", "workflow.objection_needs_ground"),
        ("", "Tidak puas", "workflow.objection_needs_ground"),
        ("ab", "Tidak puas", "workflow.objection_needs_ground"),
        ("b", "  ", "workflow.reason_required"),
    ],
)
async def test_objection_needs_a_pasal_35_ground_and_a_reason(
    services: Services, ground: str, reason: str, key: str
) -> None:
    request = await open_request(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, request, wib("2026-01-06")) as (s, c, rules, now):
            await open_objection(
                s, c, ground=ground, reason=reason, channel=Channel.EMAIL, rules=rules,
                actor="t", now=now,
            )  # fmt: skip
    assert err.value.key == key


async def test_no_objection_against_a_complaint(services: Services) -> None:
    complaint = await open_complaint(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        await _object(services, complaint, "b", "2026-01-06")
    assert err.value.key == "workflow.objection_needs_request"


async def test_answer_requirements_and_dispute_window(services: Services) -> None:
    request = await _decided(services, "2026-01-02", "2026-01-05", Decision.REFUSED)
    objection = await _object(services, request, "a", "2026-01-06")
    bad = [
        ({"decision": "maybe", "reasons": "x", "atasan_name": "B", "atasan_position": "S"},
         "workflow.atasan_decision_unknown"),
        ({"decision": "upheld", "reasons": " ", "atasan_name": "B", "atasan_position": "S"},
         "workflow.upheld_needs_reasons"),
        ({"decision": "overturned", "reasons": "", "atasan_name": " ", "atasan_position": "S"},
         "workflow.atasan_identity"),
    ]  # fmt: skip
    for kwargs, key in bad:
        with pytest.raises(DomainError) as err:
            async with step(services, objection, wib("2026-01-12")) as (s, c, rules, now):
                await objections.answer(s, c, rules=rules, actor="t", now=now, **kwargs)
        assert err.value.key == key
    # Too early for a dispute: the Atasan is still within the 30 days.
    with pytest.raises(DomainError) as err:
        async with step(services, objection, wib("2026-01-12")) as (s, c, rules, now):
            await objections.file_dispute(s, c, rules=rules, actor="t", now=now)
    assert err.value.key == "workflow.dispute_too_early"
    async with step(services, objection, wib("2026-01-12")) as (s, c, rules, now):
        await objections.answer(
            s, c, decision=AtasanDecision.UPHELD, reasons="Pasal 17 c berlaku",
            atasan_name="Budi", atasan_position="Sekretaris Daerah", rules=rules,
            actor="t", now=now,
        )  # fmt: skip
    answered = await reload(services, objection)
    # Answered Mon 01-12; 14 working days to the Komisi Informasi: 13 14 15 | 19-23 (8)
    # | 26-30 (13) | 02-02 (14) -> Mon 2026-02-02.
    assert (answered.status, answered.due_date) == (ObjectionStatus.ANSWERED, D("2026-02-02"))
    with pytest.raises(DomainError) as err:
        async with step(services, objection, wib("2026-02-03")) as (s, c, rules, now):
            await objections.file_dispute(s, c, rules=rules, actor="t", now=now)
    assert (err.value.key, err.value.params["deadline"]) == (
        "workflow.dispute_too_late",
        "2026-02-02",
    )
    async with step(services, objection, wib("2026-02-02")) as (s, c, rules, now):
        await objections.file_dispute(s, c, rules=rules, actor="t", now=now)
    with pytest.raises(DomainError) as err:
        async with step(services, objection, wib("2026-05-04")) as (s, c, rules, now):
            await objections.record_dispute_outcome(
                s, c, outcome="duel", result="", rules=rules, actor="t", now=now
            )
    assert err.value.key == "workflow.dispute_outcome_unknown"
    async with step(services, objection, wib("2026-05-04")) as (s, c, rules, now):
        await objections.record_dispute_outcome(
            s, c, outcome="mediation", result=" Damai ", rules=rules, actor="t", now=now
        )
    closed = await reload(services, objection)
    assert (closed.status, closed.dispute_outcome, closed.dispute_result) == (
        ObjectionStatus.CLOSED,
        "mediation",
        "Damai",
    )


async def test_unanswered_objection_may_go_to_the_commission(services: Services) -> None:
    request = await _decided(services, "2026-01-02", "2026-01-05", Decision.REFUSED)
    objection = await _object(services, request, "a", "2026-01-06")
    # Filed Tue 01-06; the Atasan's 30 working days: 07 08 09 | 12-15 (7) | 19-23 (12)
    # | 26-30 (17) | 02-02..06 (22) | 09-13 (27) | 18 19 20 (30) -> Fri 2026-02-20.
    assert objection.due_date == D("2026-02-20")
    with pytest.raises(DomainError):
        async with step(services, objection, wib("2026-02-20")) as (s, c, rules, now):
            await objections.file_dispute(s, c, rules=rules, actor="t", now=now)
    async with step(services, objection, wib("2026-02-23")) as (s, c, rules, now):
        await objections.file_dispute(s, c, rules=rules, actor="t", now=now)
    assert (await reload(services, objection)).status == ObjectionStatus.DISPUTED
