"""pgref: the numbers counted out of a reference counter and not issued yet

`reference_pool` holds, per prefix and year, numbers a PostgreSQL worker counted out of
`reference_counters` in a transaction of its own; a case takes the lowest free one with
`FOR UPDATE SKIP LOCKED`, so concurrent submits no longer wait for each other's commit on the
counter's row (bot/cases/references.py).

Revision ID: 0023_reference_pool
Revises: 0022_pgout2_rate_leases
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0023_reference_pool"
down_revision: str | Sequence[str] | None = "0022_pgout2_rate_leases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create reference_pool."""
    op.create_table(
        "reference_pool",
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", "number"),
    )


def downgrade() -> None:
    """Drop it again. Its numbers were counted but never issued; the counters are left as they
    are, so those numbers are skipped (a gap), never issued twice."""
    op.drop_table("reference_pool")
