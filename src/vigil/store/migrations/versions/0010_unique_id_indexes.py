"""sign-in and Graph-activity ids unique by a named index, not a table constraint

A bulk load into the empty tables may then drop the index and build it once at its end
(vigil.store.deferred_indexes): on SQLite a table constraint's index cannot be dropped.

SQLite rebuilds both tables (their rows copied, their other indexes made again), which takes
about as long as building their indexes; PostgreSQL builds the index and drops the constraint.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 22:10:00
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = {"sign_ins": "uq_sign_ins_id", "graph_activities": "uq_graph_activities_id"}
_CONSTRAINT = re.compile(r",\s*UNIQUE \(id\)")


def upgrade() -> None:
    for table, index in TABLES.items():
        if op.get_bind().dialect.name == "sqlite":
            _rebuild_sqlite(table, unique=False)
            op.create_index(index, table, ["id"], unique=True)
        else:
            op.create_index(index, table, ["id"], unique=True)
            op.drop_constraint(_pg_constraint(table), table, type_="unique")


def downgrade() -> None:
    for table, index in TABLES.items():
        if op.get_bind().dialect.name == "sqlite":
            op.drop_index(index, table)
            _rebuild_sqlite(table, unique=True)
        else:
            op.create_unique_constraint(None, table, ["id"])
            op.drop_index(index, table)


def _pg_constraint(table: str) -> str:
    for found in sa.inspect(op.get_bind()).get_unique_constraints(table):
        if found["column_names"] == ["id"]:
            return str(found["name"])
    raise RuntimeError(f"{table}: no unique constraint on id to replace")


def _rebuild_sqlite(table: str, *, unique: bool) -> None:
    """Make ``table`` again from its own CREATE TABLE with ``UNIQUE (id)`` taken out (or put
    back), its rows copied in pk order and its other indexes created again (those that exist:
    a bulk load that died may have left some to build)."""
    conn = op.get_bind()
    create = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    if unique:
        new = re.sub(r"\)\s*$", ", \n\tUNIQUE (id)\n)", create)
    else:
        new, found = _CONSTRAINT.subn("", create)
        if found != 1:
            raise RuntimeError(f"{table}: expected one UNIQUE (id) in {create!r}")
    staging = f"_vigil_0010_{table}"
    # (a table SQLite renamed is named in quotes)
    new, named = re.subn(rf'^CREATE TABLE "?{table}"?', f"CREATE TABLE {staging}", new)
    if named != 1:
        raise RuntimeError(f"{table}: unexpected CREATE TABLE {create!r}")
    indexes = [
        sql
        for (sql,) in conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL",
            (table,),
        )
    ]
    conn.exec_driver_sql(new)
    conn.exec_driver_sql(f"INSERT INTO {staging} SELECT * FROM {table} ORDER BY pk")
    conn.exec_driver_sql(f"DROP TABLE {table}")
    conn.exec_driver_sql(f"ALTER TABLE {staging} RENAME TO {table}")
    for sql in indexes:
        conn.exec_driver_sql(sql)
