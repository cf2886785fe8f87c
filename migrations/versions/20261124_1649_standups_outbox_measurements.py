"""Standups (runs, prompts, answers, absences), the outbox, and measurements.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 16:49:53.193974
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("thread_key", sa.String(length=255), nullable=True),
        sa.Column("target_key", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim", sa.String(length=32), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("result_channel", sa.String(length=32), nullable=True),
        sa.Column("result_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_outbox_due", "outbox_messages", ["status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbox_messages_claim"), "outbox_messages", ["claim"], unique=False)
    op.create_index(op.f("ix_outbox_messages_team_id"), "outbox_messages", ["team_id"], unique=False)
    op.create_table(
        "standups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("weekdays", sa.String(length=40), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("reminder_minutes", sa.Integer(), nullable=False),
        sa.Column("cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("holidays", sa.Text(), server_default="[]", nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "name", name="uq_standups_team_name"),
    )
    op.create_index(op.f("ix_standups_team_id"), "standups", ["team_id"], unique=False)
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("standup_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["standup_id"], ["standups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_absences_standup_id"), "absences", ["standup_id"], unique=False)
    op.create_index(op.f("ix_absences_team_id"), "absences", ["team_id"], unique=False)
    op.create_index(op.f("ix_absences_user_id"), "absences", ["user_id"], unique=False)
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("experiment_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "source", "source_ref", name="uq_measurements_source"),
    )
    op.create_index(op.f("ix_measurements_measured_at"), "measurements", ["measured_at"], unique=False)
    op.create_index(op.f("ix_measurements_project_id"), "measurements", ["project_id"], unique=False)
    op.create_index(op.f("ix_measurements_team_id"), "measurements", ["team_id"], unique=False)
    op.create_table(
        "standup_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("standup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["standup_id"], ["standups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("standup_id", "user_id", name="uq_standup_participants_user"),
    )
    op.create_index(op.f("ix_standup_participants_standup_id"), "standup_participants", ["standup_id"], unique=False)
    op.create_index(op.f("ix_standup_participants_team_id"), "standup_participants", ["team_id"], unique=False)
    op.create_table(
        "standup_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("standup_id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["standup_id"], ["standups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("standup_id", "run_date", name="uq_standup_runs_date"),
    )
    op.create_index(op.f("ix_standup_runs_standup_id"), "standup_runs", ["standup_id"], unique=False)
    op.create_index(op.f("ix_standup_runs_team_id"), "standup_runs", ["team_id"], unique=False)
    op.create_table(
        "standup_prompts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("standup_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("prompt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cutoff_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["standup_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["standup_id"], ["standups.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "user_id", name="uq_standup_prompts_user"),
    )
    op.create_index(op.f("ix_standup_prompts_run_id"), "standup_prompts", ["run_id"], unique=False)
    op.create_index(op.f("ix_standup_prompts_standup_id"), "standup_prompts", ["standup_id"], unique=False)
    op.create_index(op.f("ix_standup_prompts_team_id"), "standup_prompts", ["team_id"], unique=False)
    op.create_table(
        "standup_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("experiment", sa.String(length=500), nullable=False),
        sa.Column("metric_value", sa.Float(), nullable=True),
        sa.Column("confidence", sa.String(length=8), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("blocker", sa.String(length=1000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["prompt_id"], ["standup_prompts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["standup_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["team_id"], ["workspaces.team_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prompt_id"),
    )
    op.create_index(op.f("ix_standup_answers_run_id"), "standup_answers", ["run_id"], unique=False)
    op.create_index(op.f("ix_standup_answers_team_id"), "standup_answers", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_standup_answers_team_id"), table_name="standup_answers")
    op.drop_index(op.f("ix_standup_answers_run_id"), table_name="standup_answers")
    op.drop_table("standup_answers")
    op.drop_index(op.f("ix_standup_prompts_team_id"), table_name="standup_prompts")
    op.drop_index(op.f("ix_standup_prompts_standup_id"), table_name="standup_prompts")
    op.drop_index(op.f("ix_standup_prompts_run_id"), table_name="standup_prompts")
    op.drop_table("standup_prompts")
    op.drop_index(op.f("ix_standup_runs_team_id"), table_name="standup_runs")
    op.drop_index(op.f("ix_standup_runs_standup_id"), table_name="standup_runs")
    op.drop_table("standup_runs")
    op.drop_index(op.f("ix_standup_participants_team_id"), table_name="standup_participants")
    op.drop_index(op.f("ix_standup_participants_standup_id"), table_name="standup_participants")
    op.drop_table("standup_participants")
    op.drop_index(op.f("ix_measurements_team_id"), table_name="measurements")
    op.drop_index(op.f("ix_measurements_project_id"), table_name="measurements")
    op.drop_index(op.f("ix_measurements_measured_at"), table_name="measurements")
    op.drop_table("measurements")
    op.drop_index(op.f("ix_absences_user_id"), table_name="absences")
    op.drop_index(op.f("ix_absences_team_id"), table_name="absences")
    op.drop_index(op.f("ix_absences_standup_id"), table_name="absences")
    op.drop_table("absences")
    op.drop_index(op.f("ix_standups_team_id"), table_name="standups")
    op.drop_table("standups")
    op.drop_index(op.f("ix_outbox_messages_team_id"), table_name="outbox_messages")
    op.drop_index(op.f("ix_outbox_messages_claim"), table_name="outbox_messages")
    op.drop_index("ix_outbox_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
