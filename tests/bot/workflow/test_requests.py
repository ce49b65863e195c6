"""Information requests (UU KIP Pasal 22): extension, decisions and when the clock starts.

Expected dates are counted by hand on the 2026 calendar (SKB 3 Menteri): January 2026 has
holidays on Thu 01-01 (Tahun Baru) and Fri 01-16 (Isra Mikraj); weekends are skipped.
Received Mon 2026-01-05: working days after it are 06 07 08 09 | 12 13 14 15 | 19 20 21 22 23
| 26 27 28 29 30, so 10 working days = 01-20 and 17 = 01-29.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.cases.opening import update_details
from bot.errors import DomainError
from bot.services import Services
from bot.workflow import requests
from store.enums import Decision, RequestStatus
from store.models import Unit
from tests.bot.workflow.cases_in_status import events_of
from tests.bot.workflow.helpers import open_request, reload, request_details, step, wib
from tests.support.builders import make_case

D = dt.date.fromisoformat


async def test_request_is_due_ten_working_days_after_receipt(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    assert case.status == RequestStatus.REGISTERED
    assert case.due_date == D("2026-01-20")


async def test_extension_on_the_deadline_gives_seventeen_working_days(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-20", 15)) as (s, c, rules, now):
        await requests.extend(
            s, c, reason="Dokumen di arsip", days=7, rules=rules, actor="t", now=now
        )
    stored = await reload(services, case)
    assert stored.status == RequestStatus.EXTENDED
    assert stored.due_date == D("2026-01-29")
    assert (stored.extension_days, stored.extension_reason) == (7, "Dokumen di arsip")
    event = (await events_of(services, case.id))[-1]  # type: ignore[arg-type]
    assert event.action == "extend"
    assert event.data == {"days": 7, "reason": "Dokumen di arsip", "due_date": "2026-01-29"}


async def test_shorter_extension_counts_only_its_days(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await requests.extend(
            s, c, reason="Perlu koordinasi", days=3, rules=rules, actor="t", now=now
        )
    assert (await reload(services, case)).due_date == D("2026-01-23")  # 13th working day


async def test_extension_after_the_ten_day_deadline_is_refused(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-21", 8)) as (s, c, rules, now):
            await requests.extend(s, c, reason="Terlambat", rules=rules, actor="t", now=now)
    assert err.value.key == "workflow.extend_too_late"
    assert err.value.params["due"] == "2026-01-20"
    assert (await reload(services, case)).status == RequestStatus.REGISTERED


async def test_only_one_extension(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await requests.extend(s, c, reason="Pertama", days=2, rules=rules, actor="t", now=now)
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
            await requests.extend(s, c, reason="Kedua", days=5, rules=rules, actor="t", now=now)
    assert err.value.key == "workflow.extend_once"
    assert (await reload(services, case)).extension_days == 2


@pytest.mark.parametrize(
    ("reason", "days", "key"),
    [
        ("", 7, "workflow.extend_reason"),
        ("   ", 7, "workflow.extend_reason"),
        ("Alasan", 8, "workflow.extend_days"),
        ("Alasan", 0, "workflow.extend_days"),
        ("Alasan", -1, "workflow.extend_days"),
    ],
)
async def test_extension_needs_a_reason_and_at_most_seven_days(
    services: Services, reason: str, days: int, key: str
) -> None:
    case = await open_request(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
            await requests.extend(s, c, reason=reason, days=days, rules=rules, actor="t", now=now)
    assert err.value.key == key
    stored = await reload(services, case)
    assert (stored.status, stored.extended_at, stored.due_date) == (
        RequestStatus.REGISTERED,
        None,
        D("2026-01-20"),
    )


async def test_every_pasal_17_letter_is_a_refusal_ground(services: Services) -> None:
    for letter in "abcdefghij":
        case = await open_request(services, "2026-01-05")
        async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
            await requests.decide(
                s,
                c,
                decision=Decision.REFUSED,
                refusal_ground=letter.upper(),
                consequence_test="Membuka informasi menghambat penegakan hukum",
                rules=rules,
                actor="t",
                now=now,
            )
        stored = await reload(services, case)
        assert (stored.decision, stored.refusal_ground) == (Decision.REFUSED, letter)
        assert stored.consequence_test


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"decision": "refused", "refusal_ground": "k", "consequence_test": "x"},
         "workflow.refusal_needs_ground"),
        ({"decision": "refused", "refusal_ground": "ab", "consequence_test": "x"},
         "workflow.refusal_needs_ground"),
        ({"decision": "refused", "refusal_ground": None, "consequence_test": "x"},
         "workflow.refusal_needs_ground"),
        ({"decision": "refused", "refusal_ground": "b", "consequence_test": " "},
         "workflow.refusal_needs_consequence_test"),
        ({"decision": "granted_partial"}, "workflow.partial_needs_redaction"),
        ({"decision": "granted_partial", "redaction_note": "  "},
         "workflow.partial_needs_redaction"),
        ({"decision": "not_documented"}, "workflow.not_documented_needs_date"),
        ({"decision": "maybe"}, "workflow.decision_unknown"),
        ({"decision": "granted_full", "information_form": "papyrus"}, "workflow.form_unknown"),
        ({"decision": "granted_full", "fee_amount": -1}, "workflow.fee_negative"),
    ],
)  # fmt: skip
async def test_decision_requirements(services: Services, kwargs: dict, key: str) -> None:
    case = await open_request(services, "2026-01-05")
    with pytest.raises(DomainError) as err:
        async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
            await requests.decide(s, c, rules=rules, actor="t", now=now, **kwargs)
    assert err.value.key == key
    stored = await reload(services, case)
    assert (stored.status, stored.decision) == (RequestStatus.REGISTERED, None)


@pytest.mark.parametrize(
    ("kwargs", "stored_fields"),
    [
        ({"decision": "granted_partial", "redaction_note": "NIK pegawai dihitamkan (Pasal 17 h)"},
         {"redaction_note": "NIK pegawai dihitamkan (Pasal 17 h)"}),
        ({"decision": "not_documented", "available_on": dt.date(2026, 3, 2)},
         {"available_on": dt.date(2026, 3, 2)}),
        ({"decision": "not_held", "holder_body": "BPS Provinsi"}, {"holder_body": "BPS Provinsi"}),
        ({"decision": "granted_full", "information_form": "softcopy", "fee_amount": 0},
         {"information_form": "softcopy", "refusal_ground": None}),
    ],
)  # fmt: skip
async def test_decisions_record_what_they_need(
    services: Services, kwargs: dict, stored_fields: dict
) -> None:
    case = await open_request(services, "2026-01-05")
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await requests.decide(s, c, rules=rules, actor="t", now=now, **kwargs)
    stored = await reload(services, case)
    assert stored.status == RequestStatus.DECIDED
    assert stored.decision == kwargs["decision"]
    assert stored.due_date == D("2026-01-20")  # a decided request keeps the deadline it had
    for field, value in stored_fields.items():
        assert getattr(stored, field) == value


async def test_dispose_keeps_an_extension(services: Services) -> None:
    case = await open_request(services, "2026-01-05")
    async with services.db.transaction() as session:
        unit = Unit(code="dinkes", name="Dinas Kesehatan")
        session.add(unit)
        await session.flush()
        unit_id = unit.id
    async with step(services, case, wib("2026-01-06")) as (s, c, rules, now):
        await requests.extend(s, c, reason="Banyak", rules=rules, actor="t", now=now)
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await requests.dispose(s, c, unit_id=unit_id, rules=rules, actor="t", now=now)  # type: ignore[arg-type]
    stored = await reload(services, case)
    assert (stored.status, stored.unit_id, stored.due_date) == (
        RequestStatus.EXTENDED,
        unit_id,
        D("2026-01-29"),
    )
    assert [e.action for e in await events_of(services, case.id)][-1] == "redispose"  # type: ignore[arg-type]


async def test_clock_counts_from_receipt_even_when_incomplete(services: Services) -> None:
    case = await open_request(services, "2026-01-05", purpose=None)
    assert (case.status, case.due_date) == (RequestStatus.INCOMPLETE, D("2026-01-20"))
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await update_details(s, c, {"purpose": "Skripsi"}, rules=rules, actor="t", now=now)
    stored = await reload(services, case)
    assert (stored.status, stored.due_date) == (RequestStatus.REGISTERED, D("2026-01-20"))
    assert stored.completed_at == wib("2026-01-07")
    actions = [e.action for e in await events_of(services, case.id)]  # type: ignore[arg-type]
    assert actions == ["registered", "update_details", "complete"]


async def test_count_from_complete_starts_the_clock_when_complete(services: Services) -> None:
    services.settings.count_from_complete = True
    case = await open_request(services, "2026-01-05", purpose=None)
    assert case.due_date == D("2026-01-20")  # still incomplete: counted from receipt
    async with step(services, case, wib("2026-01-07")) as (s, c, rules, now):
        await update_details(s, c, {"purpose": "Skripsi"}, rules=rules, actor="t", now=now)
    # Complete on Wed 01-07: 08 09 | 12 13 14 15 | 19 20 21 22 -> 10th is Thu 01-22.
    assert (await reload(services, case)).due_date == D("2026-01-22")
    # The extension window follows the same clock: 01-21 is still before the deadline.
    async with step(services, case, wib("2026-01-21")) as (s, c, rules, now):
        await requests.extend(s, c, reason="Banyak", rules=rules, actor="t", now=now)
    # 17 working days from 01-07: ... 22 | 23 26 27 28 29 30 | 02-02 -> Mon 2026-02-02.
    assert (await reload(services, case)).due_date == D("2026-02-02")


async def test_count_from_complete_for_a_letter_registered_later(services: Services) -> None:
    """A complete letter received Friday 01-02 and typed in on Monday counts from Friday."""
    services.settings.count_from_complete = True
    services.clock.set(wib("2026-01-05", 10))  # type: ignore[attr-defined]
    case = await make_case(services, details=request_details(), received_at=wib("2026-01-02"))
    assert case.completed_at == wib("2026-01-02")
    # After Fri 01-02: 05 06 07 08 09 | 12 13 14 15 | 19 -> 10th is Mon 01-19.
    assert case.due_date == D("2026-01-19")
