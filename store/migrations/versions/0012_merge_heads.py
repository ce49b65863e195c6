"""merge the never-lose and paperwork branches into one history

The Telegram inbox, email quarantine, officer roles, letters and annual-report migrations were
written side by side from 0006; this joins them so `heads` is one revision again.

Revision ID: 0012_merge_heads
Revises: 0007_telegram_inbox, 0008_email_quarantine, 0009_officer_roles, 0011_annual
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0012_merge_heads"
down_revision: str | Sequence[str] | None = (
    "0007_telegram_inbox",
    "0008_email_quarantine",
    "0009_officer_roles",
    "0011_annual",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate tables."""


def downgrade() -> None:
    """Nothing to change: the branches touch separate tables."""
