"""merge the two branches written side by side from 0016 into one history

Inbox claims (scale) and conversation drafts (waforms) touch separate tables and columns;
this joins them so `heads` is one revision again.

Revision ID: 0018_merge_heads
Revises: 0017_scale_inbox_claims, 0017_waforms_drafts
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0018_merge_heads"
down_revision: str | Sequence[str] | None = (
    "0017_scale_inbox_claims",
    "0017_waforms_drafts",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches touch separate tables and columns."""


def downgrade() -> None:
    """Nothing to change: the branches touch separate tables and columns."""
