"""Migration 0009: every officer registered before it keeps exactly the role they had."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import text

from store.db import Database
from store.migrate import alembic_config
from store.models import Officer


async def test_existing_officers_keep_their_role_as_the_whole_set(db: Database) -> None:
    def down_then_insert_then_up(sync_conn: Any) -> None:
        command.downgrade(alembic_config(sync_conn), "0006_merge_heads")
        sync_conn.execute(
            text(
                "INSERT INTO officers (name, role, telegram_user_id, active, language, created_at)"
                " VALUES ('Rina', 'ppid_utama', 111, true, 'id', CURRENT_TIMESTAMP)"
            )
        )
        command.upgrade(alembic_config(sync_conn), "heads")

    async with db.engine.begin() as conn:
        await conn.run_sync(down_then_insert_then_up)
    async with db.session() as session:
        [rina] = (await session.exec(text("SELECT id FROM officers"))).all()  # type: ignore[call-overload]
        officer = await session.get(Officer, rina[0])
    assert officer is not None
    assert (officer.role, officer.extra_roles, officer.phone) == ("ppid_utama", [], None)
    assert officer.roles == {"ppid_utama"}
