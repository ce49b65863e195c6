"""conversation drafts of channels without their own state

A WhatsApp citizen's guided form (request, complaint, objection, survey) is kept here between
messages, so a restart continues it; one row per (channel, address).

Revision ID: 0017_waforms_drafts
Revises: 0016_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017_waforms_drafts"
down_revision: str | Sequence[str] | None = "0016_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create conversation_drafts."""
    op.create_table(
        "conversation_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("flow", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "address", name="uq_conversation_draft_address"),
    )
    with op.batch_alter_table("conversation_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_drafts_updated_at"), ["updated_at"], unique=False
        )


def downgrade() -> None:
    """Drop conversation_drafts."""
    with op.batch_alter_table("conversation_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_drafts_updated_at"))

    op.drop_table("conversation_drafts")
