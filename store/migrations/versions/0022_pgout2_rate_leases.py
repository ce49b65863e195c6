"""pgout2: a lease on each channel-wide send-rate bucket

`rate_leases` holds one row per channel-wide bucket (the bot, the business number, the mail
server): the worker that alone paces it until `expires_at`, the worker that asked next, and
what the last holder handed over (scheduler/rate_slots.py).

Revision ID: 0022_pgout2_rate_leases
Revises: 0021_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0022_pgout2_rate_leases"
down_revision: str | Sequence[str] | None = "0021_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create rate_leases."""
    op.create_table(
        "rate_leases",
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=340), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("wanted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("wanted_at", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_table("rate_leases")
