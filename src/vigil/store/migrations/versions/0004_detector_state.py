"""detector state (baselines and other learned JSON state)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:40:00
"""

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detector_state",
        sa.Column("detector", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("state", vigil.store.types.JsonDoc(), nullable=False),
        sa.Column("updated_at", vigil.store.types.UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("detector", "key"),
    )


def downgrade() -> None:
    op.drop_table("detector_state")
