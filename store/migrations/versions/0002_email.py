"""email: extra mailboxes and the record of every ingested email

Revision ID: 0002_email
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_email"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString
_utc = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    """Create mail_mailboxes and mail_records."""
    op.create_table(
        "mail_mailboxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", _str(length=64), nullable=False),
        sa.Column("folder", _str(length=255), nullable=False),
        sa.Column("case_kind", _str(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("host", _str(length=255), nullable=True),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("security", _str(length=16), nullable=True),
        sa.Column("username", _str(length=320), nullable=True),
        sa.Column("password_env", _str(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "mail_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", _str(length=64), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_key", _str(length=255), nullable=False),
        sa.Column("message_id_header", _str(length=512), nullable=True),
        sa.Column("raw_sha256", _str(length=64), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("raw_stored", sa.Boolean(), nullable=False),
        sa.Column("classification", _str(length=16), nullable=False),
        sa.Column("disposition", _str(length=16), nullable=False),
        sa.Column("reason", _str(length=64), nullable=True),
        sa.Column("sender", _str(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("received_at", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("resolved_by", _str(length=128), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox", "message_key", name="uq_mail_mailbox_key"),
        sa.UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mail_mailbox_uid"),
    )
    op.create_index("ix_mail_records_raw_sha256", "mail_records", ["raw_sha256"])
    op.create_index("ix_mail_records_classification", "mail_records", ["classification"])
    op.create_index("ix_mail_records_disposition", "mail_records", ["disposition"])
    op.create_index("ix_mail_records_case_id", "mail_records", ["case_id"])
    op.create_index("ix_mail_records_created_at", "mail_records", ["created_at"])


def downgrade() -> None:
    """Drop the email channel's tables."""
    op.drop_table("mail_records")
    op.drop_table("mail_mailboxes")
