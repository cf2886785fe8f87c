"""Projects say how their metric maps to business value: lens, subject, volume, money per case.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 17:06:24.900464
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lens", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lens_subject", sa.String(length=80), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("monthly_volume", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("value_per_catch", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("cost_per_false_alarm", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("currency", sa.String(length=8), nullable=False, server_default="$"))


def downgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("currency")
        batch_op.drop_column("cost_per_false_alarm")
        batch_op.drop_column("value_per_catch")
        batch_op.drop_column("monthly_volume")
        batch_op.drop_column("lens_subject")
        batch_op.drop_column("lens")
