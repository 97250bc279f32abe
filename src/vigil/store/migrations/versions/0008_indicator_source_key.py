"""threat-intelligence indicators are kept per feed: source joins the primary key

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_KEY = ["id", "kind", "value", "source"]


def upgrade() -> None:
    # Rows stored before are kept as they are (each under the one feed that last wrote it).
    if op.get_bind().dialect.name == "sqlite":
        # the table is copied with source reflected as a key column too
        key = sa.Column("source", sa.String(length=512), primary_key=True, nullable=False)
        with op.batch_alter_table("intel_indicators", recreate="always", reflect_args=[key]):
            pass
    else:
        op.drop_constraint("intel_indicators_pkey", "intel_indicators", type_="primary")
        op.create_primary_key("intel_indicators_pkey", "intel_indicators", _KEY)


def downgrade() -> None:
    raise NotImplementedError(
        "0008 cannot be undone without losing data: an indicator held by several feeds has a row "
        "per feed. Restore a backup taken before upgrading instead."
    )
