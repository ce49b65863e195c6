"""email: count unfinished tries per IMAP location, so a poison mail is quarantined

Revision ID: 0008_email_quarantine
Revises: 0006_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008_email_quarantine"
down_revision: str | Sequence[str] | None = "0006_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_utc = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Create mail_attempts."""
    op.create_table(
        "mail_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", _str(length=64), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mail_attempt_uid"),
    )


def downgrade() -> None:
    """Drop mail_attempts."""
    op.drop_table("mail_attempts")
