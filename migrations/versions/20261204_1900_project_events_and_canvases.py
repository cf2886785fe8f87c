"""The rest of a project's record (timebox prompts and answers, lifecycle switches, evidence confirmations,
held and retried sends) and each project's canvas.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _team() -> sa.Column:
    return sa.Column("team_id", sa.String(length=32), sa.ForeignKey("workspaces.team_id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "project_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        _team(),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("key", name="uq_project_events_key"),
    )
    op.create_index("ix_project_events_team_id", "project_events", ["team_id"])
    op.create_index("ix_project_events_project_id", "project_events", ["project_id"])
    op.create_index("ix_project_events_at", "project_events", ["at"])
    op.create_table(
        "project_canvases",
        sa.Column("id", sa.Integer(), primary_key=True),
        _team(),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("canvas_id", sa.String(length=32), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_project_canvases_team_id", "project_canvases", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_project_canvases_team_id", table_name="project_canvases")
    op.drop_table("project_canvases")
    op.drop_index("ix_project_events_at", table_name="project_events")
    op.drop_index("ix_project_events_project_id", table_name="project_events")
    op.drop_index("ix_project_events_team_id", table_name="project_events")
    op.drop_table("project_events")
