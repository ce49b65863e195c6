"""merge the report columns and the officer identities into one history

Both were written side by side from 0012; this joins them so `heads` is one revision again.

Revision ID: 0016_merge_heads
Revises: 0013_report_columns, 0015_officer_identities
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0016_merge_heads"
down_revision: str | Sequence[str] | None = ("0013_report_columns", "0015_officer_identities")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate tables."""


def downgrade() -> None:
    """Nothing to change: the branches touch separate tables."""
