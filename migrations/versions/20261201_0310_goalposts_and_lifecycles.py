"""Goalposts and lifecycles: every moved goalpost is recorded, and a stage moved without a gate says so.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-01 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "goalpost_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=200), nullable=False),
        sa.Column("new_value", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_goalpost_changes_project_id"), "goalpost_changes", ["project_id"], unique=False)
    op.create_index(op.f("ix_goalpost_changes_team_id"), "goalpost_changes", ["team_id"], unique=False)
    op.create_index(op.f("ix_goalpost_changes_at"), "goalpost_changes", ["at"], unique=False)
    with op.batch_alter_table("stage_transitions") as batch:
        batch.add_column(sa.Column("without_gate", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("stage_transitions") as batch:
        batch.drop_column("without_gate")
    op.drop_index(op.f("ix_goalpost_changes_at"), table_name="goalpost_changes")
    op.drop_index(op.f("ix_goalpost_changes_team_id"), table_name="goalpost_changes")
    op.drop_index(op.f("ix_goalpost_changes_project_id"), table_name="goalpost_changes")
    op.drop_table("goalpost_changes")
