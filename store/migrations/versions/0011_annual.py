"""annual report narratives, dispute and court dates, complaint ratings, held replies

Revision ID: 0011_annual
Revises: 0006_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_annual"
down_revision: str | Sequence[str] | None = "0006_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime
CASE_COLUMNS = (
    ("rating_asked_at", UTC()),
    ("rated_at", UTC()),
    ("dispute_decided_at", UTC()),
    ("court_filed_at", UTC()),
    ("court_result", sa.Text()),
    ("court_decided_at", UTC()),
)


def upgrade() -> None:
    """Add annual_narratives, telegram_pending_replies and the new case columns."""
    op.create_table(
        "annual_narratives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "section", name="uq_annual_narrative"),
    )
    op.create_index("ix_annual_narratives_year", "annual_narratives", ["year"])
    op.create_table(
        "telegram_pending_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_telegram_pending_reply"),
    )
    op.create_index("ix_telegram_pending_replies_case_id", "telegram_pending_replies", ["case_id"])
    with op.batch_alter_table("cases") as batch:
        for name, type_ in CASE_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("cases") as batch:
        for name, _ in reversed(CASE_COLUMNS):
            batch.drop_column(name)
    op.drop_index("ix_telegram_pending_replies_case_id", table_name="telegram_pending_replies")
    op.drop_table("telegram_pending_replies")
    op.drop_index("ix_annual_narratives_year", table_name="annual_narratives")
    op.drop_table("annual_narratives")
