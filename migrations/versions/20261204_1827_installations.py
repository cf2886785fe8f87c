"""Installations ("Add to Slack"): slack_sdk's installation and OAuth state tables (as its SQLAlchemy stores define
them), and Headway's record of each installed workspace.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04 18:27:35.003872
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("slack_bots",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("client_id", sa.String(length=32), nullable=False),
    sa.Column("app_id", sa.String(length=32), nullable=False),
    sa.Column("enterprise_id", sa.String(length=32), nullable=True),
    sa.Column("enterprise_name", sa.String(length=200), nullable=True),
    sa.Column("team_id", sa.String(length=32), nullable=True),
    sa.Column("team_name", sa.String(length=200), nullable=True),
    sa.Column("bot_token", sa.String(length=200), nullable=True),
    sa.Column("bot_id", sa.String(length=32), nullable=True),
    sa.Column("bot_user_id", sa.String(length=32), nullable=True),
    sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
    sa.Column("bot_refresh_token", sa.String(length=200), nullable=True),
    sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
    sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
    sa.Column("installed_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("slack_bots", schema=None) as batch_op:
        batch_op.create_index("slack_bots_idx", ["client_id", "enterprise_id", "team_id", "installed_at"], unique=False)

    op.create_table("slack_installations",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("client_id", sa.String(length=32), nullable=False),
    sa.Column("app_id", sa.String(length=32), nullable=False),
    sa.Column("enterprise_id", sa.String(length=32), nullable=True),
    sa.Column("enterprise_name", sa.String(length=200), nullable=True),
    sa.Column("enterprise_url", sa.String(length=200), nullable=True),
    sa.Column("team_id", sa.String(length=32), nullable=True),
    sa.Column("team_name", sa.String(length=200), nullable=True),
    sa.Column("bot_token", sa.String(length=200), nullable=True),
    sa.Column("bot_id", sa.String(length=32), nullable=True),
    sa.Column("bot_user_id", sa.String(length=32), nullable=True),
    sa.Column("bot_scopes", sa.String(length=1000), nullable=True),
    sa.Column("bot_refresh_token", sa.String(length=200), nullable=True),
    sa.Column("bot_token_expires_at", sa.DateTime(), nullable=True),
    sa.Column("user_id", sa.String(length=32), nullable=False),
    sa.Column("user_token", sa.String(length=200), nullable=True),
    sa.Column("user_scopes", sa.String(length=1000), nullable=True),
    sa.Column("user_refresh_token", sa.String(length=200), nullable=True),
    sa.Column("user_token_expires_at", sa.DateTime(), nullable=True),
    sa.Column("incoming_webhook_url", sa.String(length=200), nullable=True),
    sa.Column("incoming_webhook_channel", sa.String(length=200), nullable=True),
    sa.Column("incoming_webhook_channel_id", sa.String(length=200), nullable=True),
    sa.Column("incoming_webhook_configuration_url", sa.String(length=200), nullable=True),
    sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
    sa.Column("token_type", sa.String(length=32), nullable=True),
    sa.Column("installed_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.create_index("slack_installations_idx",
                              ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"], unique=False)

    op.create_table("slack_oauth_states",
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("state", sa.String(length=200), nullable=False),
    sa.Column("expire_at", sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id")
    )
    op.create_table("slack_workspaces",
    sa.Column("team_id", sa.String(length=32), nullable=False),
    sa.Column("enterprise_id", sa.String(length=32), nullable=True),
    sa.Column("team_name", sa.String(length=200), nullable=False),
    sa.Column("installed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint("team_id")
    )
    with op.batch_alter_table("slack_workspaces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_slack_workspaces_uninstalled_at"), ["uninstalled_at"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("slack_workspaces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_workspaces_uninstalled_at"))

    op.drop_table("slack_workspaces")
    op.drop_table("slack_oauth_states")
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.drop_index("slack_installations_idx")

    op.drop_table("slack_installations")
    with op.batch_alter_table("slack_bots", schema=None) as batch_op:
        batch_op.drop_index("slack_bots_idx")

    op.drop_table("slack_bots")
