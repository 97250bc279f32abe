"""PostgreSQL: the text columns that lists sort by compare bytewise (COLLATE "C")

Lists sort and page by code point on every backend (vigil.store.bytewise asks PostgreSQL for
``COLLATE "C"``). On a database whose default collation is another, such an ORDER BY or keyset
condition could not use the columns' indexes (made in the default collation): each page of the
risky principals, ordered by id, sorted the whole table. Declared ``COLLATE "C"``, the columns'
indexes serve it again, on any server. PostgreSQL rebuilds those indexes (not the rows); the
tables are the ones the API, the console and the CLI list, not the activity ones.

Nothing changes on SQLite, whose text compares bytewise already.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 06:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = (
    "risky_service_principals", "risk_detections", "risk_history", "intel_indicators",
    "intel_feeds", "service_principals", "applications",
)  # fmt: skip


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate('"default"')


def _collate(collation: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table in TABLES:
        for column in inspector.get_columns(table):
            kind = column["type"]
            if not isinstance(kind, sa.String):
                continue
            spelled = sa.types.to_instance(type(kind)(length=getattr(kind, "length", None)))
            op.execute(
                f'ALTER TABLE {table} ALTER COLUMN "{column["name"]}" '
                f"TYPE {spelled.compile(dialect=bind.dialect)} COLLATE {collation}"
            )
