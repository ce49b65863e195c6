"""Apply the Alembic migrations to a database (what `loket init` runs); safe to run repeatedly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from store.db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Any | None = None) -> Config:
    """An Alembic config pointing at Loket's migrations, optionally bound to a sync connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(db: Database) -> list[str]:
    """Bring the schema to the newest revision of every branch; return the heads now applied."""

    def _run(sync_conn: Any) -> list[str]:
        command.upgrade(alembic_config(sync_conn), "heads")
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
