"""Model registries announcing what happened: MLflow webhook secrets, deliveries seen, which registered model a
project follows (and its promotion alias), and the model versions already recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow

DEFAULT_PROMOTION_ALIAS = "champion"


class MlflowWebhook(SQLModel, table=True):
    """A secret MLflow signs its webhook deliveries with: for one project, or (project_id None) the workspace.

    The secret itself is kept, not a hash: verifying an HMAC needs the key (MLflow stores it encrypted too).
    `hook_id` is public: it travels in the webhook URL so the right secret is found before anything is parsed."""

    __tablename__ = "mlflow_webhooks"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("projects.id",
                                                                                      ondelete="CASCADE"),
                                                                  nullable=True, index=True))
    hook_id: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    secret: str = Field(max_length=128)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """A delivery already handled, by the sender's delivery id: a replay is refused, never redone."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("source", "delivery_id", name="uq_webhook_deliveries_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    source: str = Field(max_length=16)  # mlflow
    delivery_id: str = Field(max_length=64)
    event: str = Field(max_length=64)
    outcome: str = Field(default="", max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RegistryFollow(SQLModel, table=True):
    """The registered model a project follows, and the alias that means "ready for the next gate"."""

    __tablename__ = "registry_follows"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"),
                                             nullable=False, unique=True))
    registered_model: str | None = Field(default=None, max_length=255, index=True)
    promotion_alias: str = Field(default=DEFAULT_PROMOTION_ALIAS, max_length=64)
    updated_by: str | None = Field(default=None, max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RegistryModelVersion(SQLModel, table=True):
    """A registered model version Headway has seen for a project, with the result it recorded from its run."""

    __tablename__ = "registry_model_versions"
    __table_args__ = (UniqueConstraint("team_id", "model_name", "version", name="uq_registry_model_versions"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    model_name: str = Field(max_length=255)
    version: str = Field(max_length=32)
    run_id: str | None = Field(default=None, max_length=64)
    measurement_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("measurements.id", ondelete="SET NULL"), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
