"""Developer tool: autogenerate an Alembic revision from the SQLModel tables.

Usage: python scripts/new_migration.py "what changed" REVISION_ID [DOWN_REVISION]
Migrates a scratch SQLite database to the current heads, then diffs it against the models.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

from alembic import command

from store.db import Database
from store.migrate import alembic_config, upgrade


async def main(message: str, rev_id: str, head: str | None) -> None:
    """Write a new revision file under store/migrations/versions."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        await upgrade(db)

        def run(conn: Any) -> None:
            command.revision(
                alembic_config(conn),
                message=message,
                autogenerate=True,
                rev_id=rev_id,
                head=head or "head",
            )

        async with db.engine.begin() as conn:
            await conn.run_sync(run)
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None))
