"""the next day the reminder jobs look at a case (cases.reminder_next_on) and its index

Stamped by the core on every write (bot/workflow/sweep_columns.py) and advanced by the
scheduler as it claims reminders; existing rows are filled by the core's `sweep_next_reminder`
data step (store/migrate.py), which `loket init` hands in.

Revision ID: 0020_sweep_next_reminder
Revises: 0019_sweep_milestones
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.migrate import run_data_step

revision: str = "0020_sweep_next_reminder"
down_revision: str | Sequence[str] | None = "0019_sweep_milestones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = ("ix_cases_sweep_next_reminder", ["kind", "status", "reminder_next_on"])


def upgrade() -> None:
    """Add the column and its index, then fill it on existing cases."""
    op.add_column("cases", sa.Column("reminder_next_on", sa.Date(), nullable=True))
    op.create_index(INDEX[0], "cases", INDEX[1])
    run_data_step("sweep_next_reminder", "reminder_next_on")


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index(INDEX[0], table_name="cases")
    op.drop_column("cases", "reminder_next_on")
