"""join the heads of issue #11's speed work: the recap's event columns, the sweep's next
reminder day and the outbound pipeline's shared rate slots

Revision ID: 0021_merge_heads
Revises: 0020_recap_event_columns, 0020_sweep_next_reminder, 0020_pipeline_rate_slots
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0021_merge_heads"
down_revision: str | Sequence[str] | None = (
    "0020_recap_event_columns",
    "0020_sweep_next_reminder",
    "0020_pipeline_rate_slots",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the heads only join."""


def downgrade() -> None:
    """Nothing to change: the heads only part."""
