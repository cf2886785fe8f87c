"""Evidence with confidence (a measurement's confidence and who confirmed it) and a standup's own time zone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.add_column(sa.Column("confidence", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("confirmed_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("standups") as batch:
        batch.add_column(sa.Column("tz", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("standups") as batch:
        batch.drop_column("tz")
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("confirmed_at")
        batch.drop_column("confirmed_by")
        batch.drop_column("confidence")
