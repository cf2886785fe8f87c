"""Model registries: MLflow webhook secrets, deliveries seen, followed registered models, recorded versions.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('mlflow_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('hook_id', sa.String(length=40), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hook_id')
    )
    with op.batch_alter_table('mlflow_webhooks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mlflow_webhooks_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mlflow_webhooks_team_id'), ['team_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('delivery_id', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'delivery_id', name='uq_webhook_deliveries_id')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_team_id'), ['team_id'], unique=False)

    op.create_table('registry_follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('registered_model', sa.String(length=255), nullable=True),
    sa.Column('promotion_alias', sa.String(length=64), nullable=False),
    sa.Column('updated_by', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id')
    )
    with op.batch_alter_table('registry_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_follows_registered_model'), ['registered_model'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_follows_team_id'), ['team_id'], unique=False)

    op.create_table('registry_model_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('model_name', sa.String(length=255), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=True),
    sa.Column('measurement_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['measurement_id'], ['measurements.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['workspaces.team_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'model_name', 'version', name='uq_registry_model_versions')
    )
    with op.batch_alter_table('registry_model_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_model_versions_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registry_model_versions_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    for table in ('registry_model_versions', 'registry_follows', 'webhook_deliveries', 'mlflow_webhooks'):
        op.drop_table(table)
