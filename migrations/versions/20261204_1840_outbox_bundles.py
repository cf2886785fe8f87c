"""Outbox: find the replies a bundled thread message holds, and the updates of one message.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 18:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_result", ["result_ts"], unique=False)
        batch_op.create_index("ix_outbox_target", ["target_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_target")
        batch_op.drop_index("ix_outbox_result")
