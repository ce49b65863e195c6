"""The examples `loket example load` knows, and loading one in a single transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import DomainError
from bot.settings import Settings
from bot.workflow.rules import Rules, load_rules
from sandbox.examples import seed_001, seed_004
from store.db import Database

Loader = Callable[[AsyncSession, Rules, dt.datetime], Awaitable[dict[str, int]]]

EXAMPLES: dict[str, Loader] = {seed_001.NAME: seed_001.load, seed_004.NAME: seed_004.load}


async def load_example(
    db: Database, settings: Settings, name: str, now: dt.datetime
) -> dict[str, int]:
    """Load example `name` all or nothing; DomainError if unknown or already loaded."""
    loader = EXAMPLES.get(name)
    if loader is None:
        raise DomainError("example.unknown", name=name, choices=", ".join(EXAMPLES))
    async with db.transaction() as session:
        rules = await load_rules(session, settings)
        return await loader(session, rules, now)
