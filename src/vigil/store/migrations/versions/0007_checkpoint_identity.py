"""ingest checkpoints: file identity, format and a read unterminated last line

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_COLUMNS = (
    sa.Column("tail", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    sa.Column("format", sa.Text(), nullable=True),
    sa.Column("device", sa.BigInteger(), nullable=True),
    sa.Column("inode", sa.BigInteger(), nullable=True),
    sa.Column("head_length", sa.Integer(), nullable=True),
    sa.Column("head_sha256", sa.Text(), nullable=True),
)


def upgrade() -> None:
    # Checkpoints written before (NULL identity and format, tail 0) stay readable: see
    # vigil.ingest.follow for how they are checked.
    for column in _COLUMNS:
        op.add_column("ingest_checkpoints", column)


def downgrade() -> None:
    with op.batch_alter_table("ingest_checkpoints") as batch:
        for column in reversed(_COLUMNS):
            batch.drop_column(column.name)
