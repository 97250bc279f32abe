"""The Alembic migrations and the table definitions must describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from vigil.store import Store
from vigil.store.schema import current_revision, head_revision, upgrade
from vigil.store.tables import metadata


def test_migrations_match_tables(db_url):
    s = Store.open(db_url, migrate=True)
    try:
        with s.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert current_revision(s.engine) == head_revision(s.engine)
        upgrade(s.engine)  # running again is a no-op
        assert current_revision(s.engine) == head_revision(s.engine)
    finally:
        s.close()
