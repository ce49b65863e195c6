"""Re-running the migrations from an older revision over a database that holds rows."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command

from bot.services import Services
from bot.workflow.report_columns import migration_steps
from store.migrate import alembic_config


async def rerun_with_data_steps(services: Services, revision: str) -> None:
    """Downgrade to `revision`, check that upgrading without the core's data steps refuses
    (rows exist), then upgrade with them, as `loket init` does."""

    def down_then_up(sync_conn: Any) -> None:
        command.downgrade(alembic_config(sync_conn), revision)
        with pytest.raises(RuntimeError, match="loket init"):
            command.upgrade(alembic_config(sync_conn), "heads")
        command.upgrade(alembic_config(sync_conn, migration_steps(services.settings)), "heads")

    async with services.db.engine.connect() as conn:
        await conn.run_sync(down_then_up)
        await conn.commit()
