"""api tokens and API indexes

Local API tokens for ``vigil serve`` (stored as SHA-256 hashes only), and ``(risk_level, id)`` /
``(risk_state, id)`` indexes for the API's filtered, id-ordered pages of risky service principals.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00
"""

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_at", vigil.store.types.UtcTimestamp(), nullable=False),
        sa.Column("revoked_at", vigil.store.types.UtcTimestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("risky_service_principals", schema=None) as batch_op:
        batch_op.create_index("ix_risky_level_id", ["risk_level", "id"], unique=False)
        batch_op.create_index("ix_risky_state_id", ["risk_state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risky_service_principals", schema=None) as batch_op:
        batch_op.drop_index("ix_risky_state_id")
        batch_op.drop_index("ix_risky_level_id")
    op.drop_table("api_tokens")
