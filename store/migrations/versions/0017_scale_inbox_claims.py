"""inbox claims: the worker handling an inbound update and until when its claim holds

Several `loket run` workers work one inbox: each claims the earliest pending update of a free
lane (a chat) for a while (bot/intake/inbox.py), so no two workers handle one update, or two
updates of one chat, at once; a dead worker's claims expire and are taken again.

Revision ID: 0017_scale_inbox_claims
Revises: 0016_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017_scale_inbox_claims"
down_revision: str | Sequence[str] | None = "0016_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add claimed_by and claimed_until (empty: every stored update is free to claim)."""
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    """Drop the claim columns (a single worker needs none)."""
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
