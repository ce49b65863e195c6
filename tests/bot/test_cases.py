"""Opening cases: references under concurrency, local dates in every Indonesian time zone,
missing fields, validation of what the requester typed."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from bot.cases.opening import get_case, missing_fields, open_case, update_details
from bot.errors import DomainError, NotFoundError
from bot.services import Services
from bot.workflow.rules import load_rules
from store.enums import CaseKind, Channel, RequestStatus
from store.models import Case, Requester
from tests.bot.workflow.helpers import request_details
from tests.support.builders import make_case

UTC = dt.UTC
D = dt.date.fromisoformat


async def _open(
    services: Services,
    received_at: dt.datetime,
    details: dict[str, Any] | None = None,
    kind: CaseKind = CaseKind.INFORMATION_REQUEST,
) -> Case:
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        requester = Requester()
        session.add(requester)
        await session.flush()
        return await open_case(
            session,
            kind=kind,
            channel=Channel.WHATSAPP,
            requester=requester,
            received_at=received_at,
            rules=rules,
            actor="test",
            now=received_at,
            details=request_details() if details is None else details,
        )


async def test_fifty_concurrent_open_case_calls_get_distinct_references(
    services: Services,
) -> None:
    received = dt.datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    cases = await asyncio.gather(*(_open(services, received) for _ in range(50)))
    refs = sorted(c.reference for c in cases)
    assert refs == [f"PPID/2026/{n:06d}" for n in range(1, 51)]
    assert all(c.status == RequestStatus.REGISTERED for c in cases)


# Mon 2026-01-05 and Tue 2026-01-06 give different due dates: 10 working days after Monday is
# Tue 01-20 (06-09, 12-15, 19, 20; 01-16 is Isra Mikraj); after Tuesday it is Wed 01-21.
@pytest.mark.parametrize(
    ("timezone", "received_utc", "local_day", "due"),
    [
        # 15:30 UTC = 22:30 WIB / 23:30 WITA (still Monday) but 00:30 WIT on Tuesday.
        ("Asia/Jakarta", "2026-01-05T15:30", "2026-01-05", "2026-01-20"),
        ("Asia/Pontianak", "2026-01-05T15:30", "2026-01-05", "2026-01-20"),
        ("Asia/Makassar", "2026-01-05T15:30", "2026-01-05", "2026-01-20"),
        ("Asia/Jayapura", "2026-01-05T15:30", "2026-01-06", "2026-01-21"),
        # 16:30 UTC = 23:30 WIB Monday, 00:30 WITA Tuesday.
        ("Asia/Jakarta", "2026-01-05T16:30", "2026-01-05", "2026-01-20"),
        ("Asia/Makassar", "2026-01-05T16:30", "2026-01-06", "2026-01-21"),
        # 23:30 UTC is still Monday in UTC but Tuesday morning everywhere in Indonesia.
        ("Asia/Jakarta", "2026-01-05T23:30", "2026-01-06", "2026-01-21"),
        ("Asia/Makassar", "2026-01-05T23:30", "2026-01-06", "2026-01-21"),
        ("Asia/Jayapura", "2026-01-05T23:30", "2026-01-06", "2026-01-21"),
        # Received on a Saturday: Mon 01-12 is day 1 ... 16 Isra Mikraj ... 26 is day 10.
        ("Asia/Jakarta", "2026-01-10T03:00", "2026-01-10", "2026-01-26"),
        # Received on Christmas: 26 cuti, 29 30 31, (01-01), 02, 05-09, 12 is day 10.
        ("Asia/Jakarta", "2025-12-25T03:00", "2025-12-25", "2026-01-12"),
    ],
)
async def test_due_date_counts_from_the_local_date_of_receipt(
    services: Services, timezone: str, received_utc: str, local_day: str, due: str
) -> None:
    services.settings.timezone = timezone
    received = dt.datetime.fromisoformat(received_utc).replace(tzinfo=UTC)
    case = await _open(services, received)
    assert case.received_at == received
    assert received.astimezone(services.settings.tz).date() == D(local_day)
    assert case.due_date == D(due)


@pytest.mark.parametrize(
    ("timezone", "year"), [("Asia/Jakarta", 2025), ("Asia/Makassar", 2026), ("Asia/Jayapura", 2026)]
)
async def test_reference_year_is_the_local_year(
    services: Services, timezone: str, year: int
) -> None:
    services.settings.timezone = timezone
    # 2025-12-31 16:30 UTC: 23:30 WIB on New Year's Eve, 00:30 WITA / 01:30 WIT on New Year.
    case = await _open(services, dt.datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert case.reference == f"PPID/{year}/000001"


async def test_incomplete_request_lists_what_is_missing(services: Services) -> None:
    details = {"name": "Budi", "information_requested": "Data stunting 2025"}
    case = await _open(services, dt.datetime(2026, 1, 5, 2, tzinfo=UTC), details)
    assert case.status == RequestStatus.INCOMPLETE
    assert case.completed_at is None
    async with services.db.session() as session:
        missing = await missing_fields(session, case)
    assert missing == [
        "identity", "address", "contact", "purpose", "obtain_method", "delivery_method",
    ]  # fmt: skip


async def test_complaints_have_no_required_fields(services: Services) -> None:
    case = await make_case(services, kind=CaseKind.COMPLAINT)
    async with services.db.session() as session:
        assert await missing_fields(session, case) == []
    assert case.reference == "ADU/2026/000001"


@pytest.mark.parametrize(
    ("details", "key"),
    [
        ({"nik": "1234"}, "validation.nik_length"),
        ({"phone": "12345"}, "validation.phone"),
        ({"email": "budi@"}, "validation.email"),
        ({"obtain_method": "telepati"}, "fields.obtain_method_invalid"),
        ({"delivery_method": "merpati"}, "fields.delivery_method_invalid"),
    ],
)
async def test_bad_details_are_refused_with_their_reason(
    services: Services, details: dict[str, Any], key: str
) -> None:
    with pytest.raises(DomainError) as err:
        await _open(services, dt.datetime(2026, 1, 5, 2, tzinfo=UTC), request_details(**details))
    assert err.value.key == key


async def test_update_details_completes_and_normalises(services: Services) -> None:
    case = await _open(
        services, dt.datetime(2026, 1, 5, 2, tzinfo=UTC), {"name": "Budi", "purpose": "Riset"}
    )
    now = dt.datetime(2026, 1, 6, 2, tzinfo=UTC)
    async with services.db.transaction() as session:
        rules = await load_rules(session, services.settings)
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        changed = await update_details(
            session,
            fresh,
            {
                "nik": "3171-0145-0190-0001",
                "address": "Jl. Kenanga 3",
                "email": "Budi@Example.ID",
                "information_requested": "APBD 2025",
                "obtain_method": "melihat",
                "delivery_method": "ambil_langsung",
                "ignored": "x",
            },
            rules=rules,
            actor="t",
            now=now,
        )
        requester = await session.get(Requester, fresh.requester_id)
    assert changed == sorted(
        ["nik", "address", "email", "information_requested", "obtain_method", "delivery_method"]
    )
    assert requester is not None and requester.nik == "3171014501900001"
    assert (fresh.status, fresh.completed_at) == (RequestStatus.REGISTERED, now)


async def test_get_case_is_case_insensitive(services: Services) -> None:
    case = await make_case(services)
    async with services.db.session() as session:
        assert (await get_case(session, f" {case.reference.lower()} ")).id == case.id
        with pytest.raises(NotFoundError) as err:
            await get_case(session, "NOPE/2026/000001")
    assert err.value.key == "cases.not_found"


async def test_objections_are_not_opened_with_open_case(services: Services) -> None:
    with pytest.raises(ValueError):
        await _open(services, dt.datetime(2026, 1, 5, 2, tzinfo=UTC), kind=CaseKind.OBJECTION)
