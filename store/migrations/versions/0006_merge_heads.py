"""merge the email, telegram and reports branches into one history

Each area's first migration branched from the foundation so they could be written side by side;
this joins them, so the next migration has a single parent and `heads` is one revision.

Revision ID: 0006_merge_heads
Revises: 0002_email, 0003_telegram, 0005_reports
Create Date: 2026-11-22
"""

from collections.abc import Sequence

revision: str = "0006_merge_heads"
down_revision: str | Sequence[str] | None = ("0002_email", "0003_telegram", "0005_reports")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate tables."""


def downgrade() -> None:
    """Nothing to change: the branches touch separate tables."""
