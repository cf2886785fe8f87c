"""Experiments, weekly goals, pipeline API tokens, MLflow links; measurements point at experiments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 17:01:56.603922
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_tokens_team_id"), ["team_id"], unique=False)

    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("hypothesis", sa.String(length=500), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_experiments_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_experiments_team_id"), ["team_id"], unique=False)

    op.create_table(
        "mlflow_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("tracking_url", sa.String(length=500), nullable=False),
        sa.Column("experiment_name", sa.String(length=255), nullable=False),
        sa.Column("metric_key", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id"),
    )
    with op.batch_alter_table("mlflow_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mlflow_links_team_id"), ["team_id"], unique=False)

    op.create_table(
        "weekly_goals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("goal", sa.String(length=500), nullable=False),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("set_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "week_start", name="uq_weekly_goals_week"),
    )
    with op.batch_alter_table("weekly_goals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_weekly_goals_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_weekly_goals_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_measurements_experiment", "experiments", ["experiment_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("measurements", schema=None) as batch_op:
        batch_op.drop_constraint("fk_measurements_experiment", type_="foreignkey")

    with op.batch_alter_table("weekly_goals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_weekly_goals_team_id"))
        batch_op.drop_index(batch_op.f("ix_weekly_goals_project_id"))

    op.drop_table("weekly_goals")
    with op.batch_alter_table("mlflow_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mlflow_links_team_id"))

    op.drop_table("mlflow_links")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_team_id"))
        batch_op.drop_index(batch_op.f("ix_experiments_project_id"))

    op.drop_table("experiments")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_team_id"))
        batch_op.drop_index(batch_op.f("ix_api_tokens_project_id"))

    op.drop_table("api_tokens")
