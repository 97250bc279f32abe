"""ingest checkpoints for `vigil ingest --follow`

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 21:45:00
"""

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_checkpoints",
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", vigil.store.types.UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("path"),
    )


def downgrade() -> None:
    op.drop_table("ingest_checkpoints")
