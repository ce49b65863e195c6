"""Apply the Alembic migrations to a database (what `loket init` runs); safe to run repeatedly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


# A data step: a function of the sync connection that fills derived columns of existing rows
# with what only the core knows (the body's time zone, its working-day calendar). The store
# imports nothing of the core, so the caller hands the steps in by name; a migration that needs
# one and finds rows without it refuses (the columns would be silently wrong).
DataStep = Callable[[Any], None]


def run_data_step(name: str, fills: str, table: str = "cases") -> None:
    """Inside a migration: fill the existing rows of `table` with the data step `name`; refuse
    if there are rows and no such step was handed in (`fills` says what it fills, for the
    message)."""
    bind = op.get_bind()
    if bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0:
        return
    step = context.config.attributes.get("data_steps", {}).get(name)
    if step is None:
        raise RuntimeError(
            f"{table} exist: run this migration with `loket init`, which fills {fills}"
        )
    step(bind)


def alembic_config(
    connection: Any | None = None, data_steps: Mapping[str, DataStep] | None = None
) -> Config:
    """An Alembic config pointing at Loket's migrations, optionally bound to a sync connection
    and carrying the core's data steps (see DataStep)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    cfg.attributes["data_steps"] = dict(data_steps or {})
    return cfg


async def upgrade(db: Database, data_steps: Mapping[str, DataStep] | None = None) -> list[str]:
    """Bring the schema to the newest revision of every branch; return the heads now applied."""

    def _run(sync_conn: Any) -> list[str]:
        command.upgrade(alembic_config(sync_conn, data_steps), "heads")
        return sorted(MigrationContext.configure(sync_conn).get_current_heads())

    async with db.engine.begin() as conn:
        return await conn.run_sync(_run)


async def pending(db: Database) -> list[str]:
    """Revisions the database still lacks (empty when it is up to date)."""
    script = ScriptDirectory.from_config(alembic_config())

    def _current(sync_conn: Any) -> set[str]:
        return set(MigrationContext.configure(sync_conn).get_current_heads())

    async with db.engine.connect() as conn:
        current = await conn.run_sync(_current)
    heads = set(script.get_heads())
    return sorted(heads - current)
