"""Installations of the app ("Add to Slack"): slack_sdk's own tables, and Headway's record of each workspace.

The three slack_* tables are exactly the ones slack_sdk's AsyncSQLAlchemyInstallationStore and
AsyncSQLAlchemyOAuthStateStore read and write (built by slack_sdk's own `build_*_table`, so they cannot drift);
they live on Headway's metadata so that the migration creates them and the models-agree test checks them.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlmodel import Field, SQLModel

from bot.models.types import UTCDateTime

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name  # slack_installations
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name  # slack_bots
STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name  # slack_oauth_states

slack_installations = SQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, INSTALLATIONS_TABLE)
slack_bots = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, BOTS_TABLE)
slack_oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(SQLModel.metadata, STATES_TABLE)


class SlackWorkspace(SQLModel, table=True):
    """A workspace Headway serves through an installation: which Grid organization it belongs to (its token may
    be the organization's), and when it was uninstalled (its data is deleted after the retention period).

    No foreign key to `workspaces`: a workspace is installed before Headway has any of its data."""

    __tablename__ = "slack_workspaces"

    team_id: str = Field(primary_key=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    team_name: str = Field(default="", max_length=200)
    installed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    uninstalled_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
