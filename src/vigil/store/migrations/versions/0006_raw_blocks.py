"""raw records kept in compressed blocks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 01:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_blocks",
        sa.Column(
            "pk",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("pk"),
    )
    for table in ("sign_ins", "graph_activities"):
        op.add_column(table, sa.Column("raw_block", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("raw_line", sa.Integer(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError(
        "0006 cannot be undone without losing data: bulk-ingested raw records live only in "
        "raw_blocks, and sign_ins.data holds the positional format that earlier versions do "
        "not read. Restore a backup taken before upgrading instead."
    )
