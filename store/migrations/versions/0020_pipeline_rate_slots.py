"""pipeline: shared send-rate slots, and the outbox found by recipient

`rate_slots` holds one row per send-rate bucket (the bot, a chat, a group, the mail server),
so every worker paces against the same limits (scheduler/rate_slots.py). The outbox index on
(channel, recipient, status) lets a claim find each recipient's earliest unsent row.

Revision ID: 0020_pipeline_rate_slots
Revises: 0019_sweep_milestones
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0020_pipeline_rate_slots"
down_revision: str | Sequence[str] | None = "0019_sweep_milestones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create rate_slots and the recipient index of the outbox."""
    op.create_table(
        "rate_slots",
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=340), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_recipient_queue", ["channel", "recipient", "status"], unique=False
        )


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_recipient_queue")
    op.drop_table("rate_slots")
