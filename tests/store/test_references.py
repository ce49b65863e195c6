"""Reference numbers: human-friendly, per kind and year, never duplicated under concurrency."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cases import references
from bot.cases.references import allocate_reference, find_references, hold_references
from bot.services import Services
from store.enums import CaseKind
from store.models import ReferencePoolNumber


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


async def test_a_submit_takes_its_number_while_another_is_still_open(services: Services) -> None:
    # PostgreSQL: a case takes the lowest free number of the pool (SKIP LOCKED), so it never
    # waits for the commit of another case that took one before it (the counter's row did).
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite runs one transaction at a time")
    first, may_end = await _open_with_a_number(services, then=None)
    # (would wait for `first`'s commit on the counter's row)
    second = await asyncio.wait_for(_issue(services), 30)
    may_end.set()
    assert (await first, second) == ("ADU/2026/000001", "ADU/2026/000002")


async def test_a_number_given_back_is_the_next_one_issued(services: Services) -> None:
    # Taken, then rolled back while later ones were issued: the next case gets it, so the
    # register has no gap (on PostgreSQL it went back to the pool; on SQLite to the counter).
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite runs one transaction at a time")
    failing, may_fail = await _open_with_a_number(services, then=RuntimeError("disk full"))
    later = [await asyncio.wait_for(_issue(services), 30) for _ in range(3)]
    may_fail.set()
    with pytest.raises(RuntimeError):
        await failing
    assert later == ["ADU/2026/000002", "ADU/2026/000003", "ADU/2026/000004"]
    assert [await _issue(services) for _ in range(2)] == ["ADU/2026/000001", "ADU/2026/000005"]


async def _open_with_a_number(
    services: Services, then: Exception | None
) -> tuple[asyncio.Task[str], asyncio.Event]:
    """A transaction that took a number and stays open until the event is set, then commits
    (or raises `then`, rolling back); returned once the number is taken."""
    taken, may_end = asyncio.Event(), asyncio.Event()

    async def open_one() -> str:
        async with services.db.transaction() as session:
            ref = await _allocate(session, services)
            taken.set()
            await may_end.wait()
            if then is not None:
                raise then
            return ref

    task = asyncio.create_task(open_one())
    await taken.wait()
    return task, may_end


async def test_a_counter_locked_by_a_batch_still_issues_each_number_once(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A batch (hold_references) keeps the counter's row locked until it commits; a case that
    # then finds the pool empty waits at most COUNT_OUT_LOCK_WAIT_MS to count numbers out
    # apart, then takes its number from the counter in its own transaction, after the batch.
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite runs one transaction at a time")
    monkeypatch.setattr(references, "COUNT_OUT_LOCK_WAIT_MS", 100)
    batch_took, batch_may_end = asyncio.Event(), asyncio.Event()

    async def batch() -> list[str]:
        async with services.db.transaction() as session, hold_references(session):
            refs = [await _allocate(session, services) for _ in range(3)]
            batch_took.set()
            await batch_may_end.wait()
            return refs

    in_batch = asyncio.create_task(batch())
    await batch_took.wait()
    alone = asyncio.create_task(_issue(services))
    await asyncio.sleep(0.5)  # counting out gave up; the case now waits for the batch's row
    assert not alone.done()
    batch_may_end.set()
    assert await in_batch == ["ADU/2026/000001", "ADU/2026/000002", "ADU/2026/000003"]
    assert await alone == "ADU/2026/000004"
    async with services.db.session() as session:  # nothing was counted out
        assert (await session.exec(select(ReferencePoolNumber))).all() == []
    assert await _issue(services) == "ADU/2026/000005"


async def _allocate(session: AsyncSession, services: Services) -> str:
    return await allocate_reference(session, CaseKind.COMPLAINT, 2026, services.settings)


async def _issue(services: Services) -> str:
    async with services.db.transaction() as session:
        return await _allocate(session, services)


async def test_a_batch_takes_the_lowest_free_numbers_and_gives_back_the_rest(
    services: Services,
) -> None:
    # PostgreSQL: a batch (hold_references) takes a block of the pool's free numbers at once;
    # what it does not issue is free again when it commits, the next number issued after it.
    if services.db.dialect != "postgresql":
        pytest.skip("SQLite has no pool")
    assert await _issue(services) == "ADU/2026/000001"  # 2..64 counted out, free
    async with services.db.transaction() as session, hold_references(session):
        batch = [await _allocate(session, services) for _ in range(3)]
    assert batch == ["ADU/2026/000002", "ADU/2026/000003", "ADU/2026/000004"]
    assert await _issue(services) == "ADU/2026/000005"
    async with services.db.session() as session:
        free = (await session.exec(select(ReferencePoolNumber.number))).all()
    assert sorted(free) == list(range(6, 65))
