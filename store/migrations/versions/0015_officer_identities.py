"""officer identities: who an officer is on each channel, found by (channel, external id)

The desk finds the officer acting by their identity on the channel they write from, so a
WhatsApp or web officer works cases like a Telegram one. Every Telegram id registered so far
becomes that officer's Telegram identity. `officers.telegram_user_id` stays, as a copy of the
Telegram identity kept for the outbound recipient lookup (bot.notify.recipients), which reads it.

Revision ID: 0015_officer_identities
Revises: 0012_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015_officer_identities"
down_revision: str | Sequence[str] | None = "0012_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create officer_identities and copy every officer's Telegram id into it."""
    op.create_table(
        "officer_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id", name="uq_officer_identity"),
        sa.UniqueConstraint("officer_id", "channel", name="uq_officer_identity_channel"),
    )
    with op.batch_alter_table("officer_identities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_officer_identities_officer_id"), ["officer_id"], unique=False
        )
    op.execute(
        "INSERT INTO officer_identities (officer_id, channel, external_id, created_at)"
        " SELECT id, 'telegram', CAST(telegram_user_id AS VARCHAR(320)), created_at"
        " FROM officers WHERE telegram_user_id IS NOT NULL"
    )


def downgrade() -> None:
    """Drop the identities; the Telegram ids are still on the officers."""
    with op.batch_alter_table("officer_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_officer_identities_officer_id"))
    op.drop_table("officer_identities")
