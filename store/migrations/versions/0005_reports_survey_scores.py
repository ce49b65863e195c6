"""reports: satisfaction survey scores

Revision ID: 0005_reports
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_reports"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create survey_scores (one score per case and survey element)."""
    op.create_table(
        "survey_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("element", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "element", name="uq_survey_case_element"),
    )
    op.create_index("ix_survey_scores_case_id", "survey_scores", ["case_id"])
    op.create_index("ix_survey_scores_answered_at", "survey_scores", ["answered_at"])


def downgrade() -> None:
    """Drop survey_scores."""
    op.drop_index("ix_survey_scores_answered_at", table_name="survey_scores")
    op.drop_index("ix_survey_scores_case_id", table_name="survey_scores")
    op.drop_table("survey_scores")
