"""Go/no-go gates: the gate, its named approvers (with required sign-offs) and the append-only votes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 17:19:18.622995
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=64), nullable=False),
        sa.Column("to_stage", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("criteria", sa.Text(), server_default="[]", nullable=False),
        sa.Column("snapshot", sa.Text(), server_default="{}", nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_basis", sa.String(length=16), nullable=True),
        sa.Column("outcome_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("conditions", sa.Text(), server_default="", nullable=False),
        sa.Column("conditions_met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conditions_met_by", sa.String(length=32), nullable=True),
        sa.Column("pivot_stage", sa.String(length=64), nullable=True),
        sa.Column("reframed_problem", sa.Text(), server_default="", nullable=False),
        sa.Column("hold_until", sa.Date(), nullable=True),
        sa.Column("resumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gates_deadline_at"), ["deadline_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_gates_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gates_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_gates_team_id"), ["team_id"], unique=False)

    op.create_table(
        "gate_approvers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("signoff", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["gate_id"], ["gates.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gate_id", "user_id", name="uq_gate_approvers_user"),
    )
    with op.batch_alter_table("gate_approvers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_approvers_gate_id"), ["gate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_approvers_team_id"), ["team_id"], unique=False)

    op.create_table(
        "gate_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("rationale", sa.Text(), server_default="", nullable=False),
        sa.Column("conditions", sa.Text(), server_default="", nullable=False),
        sa.Column("pivot_stage", sa.String(length=64), nullable=True),
        sa.Column("problem_statement", sa.Text(), server_default="", nullable=False),
        sa.Column("hold_until", sa.Date(), nullable=True),
        sa.Column("cast_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gate_id"], ["gates.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_votes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gate_votes_gate_id"), ["gate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gate_votes_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("gate_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_votes_team_id"))
        batch_op.drop_index(batch_op.f("ix_gate_votes_gate_id"))

    op.drop_table("gate_votes")
    with op.batch_alter_table("gate_approvers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gate_approvers_team_id"))
        batch_op.drop_index(batch_op.f("ix_gate_approvers_gate_id"))

    op.drop_table("gate_approvers")
    with op.batch_alter_table("gates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gates_team_id"))
        batch_op.drop_index(batch_op.f("ix_gates_status"))
        batch_op.drop_index(batch_op.f("ix_gates_project_id"))
        batch_op.drop_index(batch_op.f("ix_gates_deadline_at"))

    op.drop_table("gates")
