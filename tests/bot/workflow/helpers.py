"""Opening real cases through `open_case` for the workflow tests, one requester each."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import Services
from bot.workflow.rules import Rules, load_rules
from store.enums import CaseKind
from store.models import Case
from tests.support.builders import COMPLETE_REQUEST, make_case

WIB = dt.timezone(dt.timedelta(hours=7))
_phones = itertools.count(1000)


def wib(day: str, hour: int = 9, minute: int = 0) -> dt.datetime:
    """An instant on a local (WIB) date: `wib("2026-01-05")` is 09:00 that morning."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=WIB)


def request_details(**overrides: Any) -> dict[str, Any]:
    """A complete request with a phone number no other test requester has."""
    return {**COMPLETE_REQUEST, "phone": f"0812-5555-{next(_phones):04d}", **overrides}


async def open_request(services: Services, received: str, **overrides: Any) -> Case:
    """A complete information request received on `received` (WIB) at 09:00."""
    services.clock.set(wib(received))  # type: ignore[attr-defined]
    return await make_case(services, details=request_details(**overrides))


async def open_complaint(services: Services, received: str) -> Case:
    """A complaint received on `received` (WIB) at 09:00."""
    services.clock.set(wib(received))  # type: ignore[attr-defined]
    return await make_case(services, kind=CaseKind.COMPLAINT)


@asynccontextmanager
async def step(
    services: Services, case: Case, at: dt.datetime
) -> AsyncIterator[tuple[AsyncSession, Case, Rules, dt.datetime]]:
    """A transaction at instant `at` with the case reloaded and the rules in force."""
    services.clock.set(at)  # type: ignore[attr-defined]
    async with services.db.transaction() as session:
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        yield session, fresh, await load_rules(session, services.settings), at


async def reload(services: Services, case: Case) -> Case:
    """The case as stored now."""
    async with services.db.session() as session:
        fresh = await session.get(Case, case.id)
        assert fresh is not None
        return fresh
