"""recap columns on events: the case's kind and local receipt date, the local date acted on

and the covering index `ix_events_recap` the complaint recap's officers' table reads alone, in
its query order; `ix_events_action_at`, which only that table used, is dropped.

Stamped by the core on every event (bot/cases/audit.py); existing rows are filled by the core's
`recap_event_columns` data step (store/migrate.py), which `loket init` hands in.

Revision ID: 0020_recap_event_columns
Revises: 0019_sweep_milestones
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from store.migrate import run_data_step

revision: str = "0020_recap_event_columns"
down_revision: str | Sequence[str] | None = "0019_sweep_milestones"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("case_kind", sqlmodel.sql.sqltypes.AutoString(length=32)),
    ("case_received_on", sa.Date()),
    ("acted_on", sa.Date()),
)
RECAP = ["case_kind", "action", "acted_on", "actor", "case_received_on"]
ACTION_AT = ["action", "at", "actor", "case_id"]


def upgrade() -> None:
    """Add the columns and the recap index, drop the old one, then fill existing events."""
    for name, type_ in COLUMNS:
        op.add_column("events", sa.Column(name, type_, nullable=True))
    op.create_index("ix_events_recap", "events", RECAP)
    op.drop_index("ix_events_action_at", table_name="events")
    run_data_step("recap_event_columns", "the recap columns", table="events")


def downgrade() -> None:
    """Restore the old index, drop the recap index and the columns."""
    op.create_index("ix_events_action_at", "events", ACTION_AT)
    op.drop_index("ix_events_recap", table_name="events")
    for name, _ in COLUMNS:
        op.drop_column("events", name)
