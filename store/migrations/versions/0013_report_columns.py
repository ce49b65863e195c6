"""report columns on cases: local received date, year and month, decision date, working days

and an index on events (action, at, actor, case_id) for the recap's officer table.

Stamped by the core on every write (bot/workflow/report_columns.py); existing rows are filled
by the core's `report_columns` data step (store/migrate.py), which `loket init` hands in.

Revision ID: 0013_report_columns
Revises: 0012_merge_heads
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.migrate import run_data_step

revision: str = "0013_report_columns"
down_revision: str | Sequence[str] | None = "0012_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("received_on", sa.Date()),
    ("received_year", sa.Integer()),
    ("received_month", sa.Integer()),
    ("decided_on", sa.Date()),
    ("working_days_taken", sa.Integer()),
)
INDEXES = (
    (
        "ix_cases_annual",
        [
            "kind",
            "received_year",
            "received_month",
            "channel",
            "decision",
            "refusal_ground",
            "working_days_taken",
            "decided_on",
            "due_date",
            "extended_at",
        ],
    ),
    (
        "ix_cases_recap",
        ["kind", "received_on", "unit_id", "status", "rating", "working_days_taken"],
    ),
    ("ix_cases_kind_received_year_unit", ["kind", "received_year", "unit_id"]),
)


def upgrade() -> None:
    """Add the columns and their indexes, then fill them on every existing case."""
    for name, type_ in COLUMNS:
        op.add_column("cases", sa.Column(name, type_, nullable=True))
    for name, columns in INDEXES:
        op.create_index(name, "cases", columns)
    op.create_index("ix_events_action_at", "events", ["action", "at", "actor", "case_id"])
    run_data_step("report_columns", "the report columns")


def downgrade() -> None:
    """Drop the indexes and the columns."""
    op.drop_index("ix_events_action_at", table_name="events")
    for name, _ in INDEXES:
        op.drop_index(name, table_name="cases")
    for name, _ in COLUMNS:  # plain ALTER TABLE (SQLite >= 3.35): cases is referenced by others
        op.drop_column("cases", name)
