"""threat-intelligence indicators keep their version time (STIX modified)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 15:30:00
"""

import sqlalchemy as sa
from alembic import op

import vigil.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before have no version time: the next version read replaces them.
    op.add_column("intel_indicators",
                  sa.Column("modified", vigil.store.types.UtcTimestamp(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("intel_indicators") as batch:
        batch.drop_column("modified")
