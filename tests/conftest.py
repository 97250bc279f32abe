"""Fixtures shared by every test: a fake clock, and a migrated store on SQLite and PostgreSQL.

PostgreSQL tests use the server named by ``VIGIL_TEST_POSTGRES_URL`` (``.ci/run`` sets it) inside a
schema of their own that is dropped afterwards. Without the variable they are skipped with that
reason; with ``VIGIL_REQUIRE_POSTGRES=1`` (CI) an unreachable server fails instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import NoReturn

import pytest
import sqlalchemy as sa

from vigil.store import Store
from vigil.store.database import normalize_url

POSTGRES_URL = os.environ.get("VIGIL_TEST_POSTGRES_URL")


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _postgres_schema_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need VIGIL_TEST_POSTGRES_URL (.ci/run sets it)")
    base = normalize_url(POSTGRES_URL)
    schema = f"vigil_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        _unreachable(exc)
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL (a schema of its own), for what only PostgreSQL does."""
    yield from _postgres_schema_url()


@pytest.fixture
def pg_linguistic_url() -> Iterator[str]:
    """A PostgreSQL URL on a new database whose default collation is linguistic (ICU ``en-US``,
    or libc ``en_US.utf8``), as many production servers have; dropped afterwards. Skipped, with
    the reason, on a server that has neither collation."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need VIGIL_TEST_POSTGRES_URL (.ci/run sets it)")
    base = sa.make_url(normalize_url(POSTGRES_URL))
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"vigil_test_{uuid.uuid4().hex[:12]}"
    try:
        try:
            conn = admin.connect()
        except sa.exc.OperationalError as exc:
            _unreachable(exc)
        with conn:
            version = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
            has = {
                row[0]
                for row in conn.execute(
                    sa.text(
                        "SELECT collname FROM pg_collation "
                        "WHERE collname IN ('en-US-x-icu', 'en_US.utf8')"
                    )
                )
            }
            if "en-US-x-icu" in has and version >= 150000:  # a database default: PostgreSQL 15
                locale = "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
            elif "en_US.utf8" in has:
                locale = "LOCALE 'en_US.utf8'"
            else:
                reason = f"PostgreSQL at {POSTGRES_URL} has no en-US collation (ICU or libc)"
                if os.environ.get("VIGIL_REQUIRE_POSTGRES") == "1":
                    pytest.fail(reason)  # CI must keep covering it
                pytest.skip(reason)
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0 {locale}'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _unreachable(exc: Exception) -> NoReturn:
    if os.environ.get("VIGIL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database URL per backend, empty (no schema yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vigil.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url, migrate=True)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path / 'vigil.db'}", migrate=True)
    try:
        yield s
    finally:
        s.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say how many tests ran against PostgreSQL, so CI's log shows they were not skipped."""
    counts = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        counts[outcome] = sum(
            1 for r in terminalreporter.stats.get(outcome, []) if "postgres" in getattr(r, "keywords", {})
        )
    if any(counts.values()):
        terminalreporter.write_line(
            "PostgreSQL tests: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        )
