"""telegram inbox: raw inbound updates stored before they are confirmed, drafts remember the
update that saved them; the pre-handler claim table telegram_updates is replaced

Revision ID: 0007_telegram_inbox
Revises: 0006_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_telegram_inbox"
down_revision: str | Sequence[str] | None = "0006_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create inbound_updates, add telegram_drafts.last_update_id, drop telegram_updates."""
    op.create_table(
        "inbound_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("message_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("lane", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id", name="uq_inbound_update_external"),
        sa.UniqueConstraint("channel", "message_key", name="uq_inbound_update_message"),
    )
    op.create_index(
        "ix_inbound_updates_todo", "inbound_updates", ["channel", "state", "lane", "position"]
    )
    op.create_index("ix_inbound_updates_finished_at", "inbound_updates", ["finished_at"])
    with op.batch_alter_table("telegram_drafts") as batch:
        batch.add_column(sa.Column("last_update_id", sa.BigInteger(), nullable=True))
    op.drop_index("ix_telegram_updates_received_at", table_name="telegram_updates")
    op.drop_table("telegram_updates")


def downgrade() -> None:
    """Bring back telegram_updates (empty), drop the column and inbound_updates."""
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_telegram_update_chat_message"),
    )
    op.create_index("ix_telegram_updates_received_at", "telegram_updates", ["received_at"])
    with op.batch_alter_table("telegram_drafts") as batch:
        batch.drop_column("last_update_id")
    op.drop_index("ix_inbound_updates_finished_at", table_name="inbound_updates")
    op.drop_index("ix_inbound_updates_todo", table_name="inbound_updates")
    op.drop_table("inbound_updates")
