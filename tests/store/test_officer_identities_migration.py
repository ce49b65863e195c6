"""Migration 0015: every officer's Telegram id becomes their Telegram identity."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import text

from store.db import Database
from store.migrate import alembic_config


async def test_every_telegram_id_becomes_a_telegram_identity(db: Database) -> None:
    def down_then_insert_then_up(sync_conn: Any) -> None:
        command.downgrade(alembic_config(sync_conn), "0012_merge_heads")
        for name, telegram in (("Rina", "111"), ("Budi", "9007199254740993"), ("Sari", "NULL")):
            sync_conn.execute(
                text(
                    "INSERT INTO officers (name, role, extra_roles, telegram_user_id, active,"
                    f" language, created_at) VALUES ('{name}', 'admin', '[]', {telegram}, true,"
                    " 'id', CURRENT_TIMESTAMP)"
                )
            )
        command.upgrade(alembic_config(sync_conn), "heads")

    async with db.engine.begin() as conn:
        await conn.run_sync(down_then_insert_then_up)
    async with db.session() as session:
        rows = (
            await session.exec(  # type: ignore[call-overload]
                text(
                    "SELECT o.name, i.channel, i.external_id FROM officer_identities i"
                    " JOIN officers o ON o.id = i.officer_id ORDER BY o.name"
                )
            )
        ).all()
    # A 64-bit id survives whole (beyond a double's 53 bits), and no id means no identity.
    assert [tuple(r) for r in rows] == [
        ("Budi", "telegram", "9007199254740993"),
        ("Rina", "telegram", "111"),
    ]
