"""officers: several roles per person, and a phone number

An officer keeps their one role in `role`; the roles they hold besides it go to `extra_roles`
(empty for every existing officer, so each keeps exactly the role they had). `phone` is the
officer's own number, for the desk to reach them.

Revision ID: 0009_officer_roles
Revises: 0006_merge_heads
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_officer_roles"
down_revision: str | Sequence[str] | None = "0006_merge_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add officers.extra_roles (a JSON list, empty) and officers.phone."""
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("extra_roles", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    """Drop them again; an officer keeps only their first role."""
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("extra_roles")
