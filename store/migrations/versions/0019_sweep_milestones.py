"""sweep columns on cases (follow-up clock start, next progress update), their indexes, and the
calendar fingerprint the stored dates were computed under

Stamped by the core on every write (bot/workflow/sweep_columns.py); existing rows are filled by
the core's `sweep_columns` data step (store/migrate.py), which `loket init` hands in.

Revision ID: 0019_sweep_milestones
Revises: 0018_merge_heads
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.migrate import run_data_step

revision: str = "0019_sweep_milestones"
down_revision: str | Sequence[str] | None = "0018_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("followup_from_on", sa.Date()), ("progress_next_on", sa.Date()))
INDEXES = (
    ("ix_cases_sweep_due", ["kind", "status", "due_date"]),
    ("ix_cases_sweep_followup_from", ["followup_from_on"]),
    ("ix_cases_sweep_progress_next", ["progress_next_on"]),
    ("ix_cases_sweep_closed_at", ["closed_at"]),
)


def upgrade() -> None:
    """Add the columns, their indexes and the stamp table, then fill them on existing cases."""
    for name, type_ in COLUMNS:
        op.add_column("cases", sa.Column(name, type_, nullable=True))
    for name, columns in INDEXES:
        op.create_index(name, "cases", columns)
    op.create_table(
        "calendar_stamps",
        sa.Column("what", sqlmodel.sql.sqltypes.AutoString(length=32), primary_key=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("stamped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    run_data_step("sweep_columns", "the sweep columns")


def downgrade() -> None:
    """Drop the stamp table, the indexes and the columns."""
    op.drop_table("calendar_stamps")
    for name, _ in INDEXES:
        op.drop_index(name, table_name="cases")
    for name, _ in COLUMNS:
        op.drop_column("cases", name)
