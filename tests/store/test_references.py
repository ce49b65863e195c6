"""Reference numbers: human-friendly, per kind and year, never duplicated under concurrency."""

from __future__ import annotations

import asyncio

from bot.cases.references import allocate_reference, find_references
from bot.services import Services
from store.enums import CaseKind


async def test_fifty_concurrent_allocations_never_collide(services: Services) -> None:
    async def one() -> str:
        async with services.db.transaction() as session:
            return await allocate_reference(
                session, CaseKind.INFORMATION_REQUEST, 2026, services.settings
            )

    refs = await asyncio.gather(*(one() for _ in range(50)))
    assert len(set(refs)) == 50
    assert sorted(refs) == [f"PPID/2026/{n:06d}" for n in range(1, 51)]


async def test_counters_are_per_kind_and_year(services: Services) -> None:
    async with services.db.transaction() as session:
        a = await allocate_reference(session, CaseKind.COMPLAINT, 2025, services.settings)
        b = await allocate_reference(session, CaseKind.COMPLAINT, 2026, services.settings)
        c = await allocate_reference(session, CaseKind.OBJECTION, 2026, services.settings)
    assert (a, b, c) == ("ADU/2025/000001", "ADU/2026/000001", "KEB/2026/000001")


async def test_rolled_back_allocation_gives_the_number_back(services: Services) -> None:
    try:
        async with services.db.transaction() as session:
            await allocate_reference(session, CaseKind.COMPLAINT, 2026, services.settings)
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    async with services.db.transaction() as session:
        ref = await allocate_reference(session, CaseKind.COMPLAINT, 2026, services.settings)
    assert ref == "ADU/2026/000001"


def test_find_references_in_text() -> None:
    text = "Re: [PPID/2026/000123] dan ADU/2025/000045, lagi PPID/2026/000123"
    assert find_references(text) == ["PPID/2026/000123", "ADU/2025/000045"]
