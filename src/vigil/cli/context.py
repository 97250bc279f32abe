"""State shared by the subcommands: settings from the global options and a lazily built App."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from vigil.settings import ConfigFileError, Settings, load_settings
from vigil.store.database import normalize_url
from vigil.store.write_lock import WRITE_LOCK_NOTICE, WRITE_LOCK_TIMEOUT, WaitNotice

if TYPE_CHECKING:
    from vigil.app import App


@dataclass
class CliContext:
    db: str | None
    config: Path | None
    verbosity: int
    lock_wait: float | None = None
    _settings: Settings | None = None
    _app: App | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(
                    self.config, database_url=self.db, lock_wait_seconds=self.lock_wait
                )
            except ConfigFileError as exc:
                raise click.UsageError(f"cannot read the config file {exc}") from exc
            except ValueError as exc:
                raise click.UsageError(f"invalid settings: {exc}") from exc
            if self.verbosity == 0:  # -v and -q win over the settings' log_level
                logging.getLogger().setLevel(self._settings.log_level)
        return self._settings

    def app(self, *, check_schema: bool = True) -> App:
        if self._app is None:
            from vigil.app import SchemaOutOfDate, build  # the whole of Vigil: not for --help

            _check_database_url(self.settings.database_url)
            try:
                self._app = build(self.settings, check_schema=check_schema)
            except SchemaOutOfDate as exc:
                raise click.ClickException(str(exc)) from exc
            click.get_current_context().call_on_close(self._app.close)
            self._app.store.engine.update_execution_options(**self._write_lock_options())
        return self._app

    def _write_lock_options(self) -> dict[str, Any]:
        """Wait for another writer as the settings say, telling the user on stderr (not with
        -q) once it has taken a while (``vigil.store.write_lock``)."""
        s = self.settings
        notice = None
        if self.verbosity >= 0:
            notice = WaitNotice(s.lock_notice_seconds, lambda line: click.echo(line, err=True))
        return {WRITE_LOCK_TIMEOUT: s.lock_wait_seconds, WRITE_LOCK_NOTICE: notice}


def _check_database_url(url: str) -> None:
    """A URL that does not parse, or names no database SQLAlchemy knows, is a usage error."""
    try:
        make_url(normalize_url(url)).get_dialect()
    except (ArgumentError, ValueError) as exc:  # the reason never holds the password
        raise click.UsageError(
            f"invalid database URL (--db, VIGIL_DATABASE_URL or database_url): {exc}"
        ) from exc


def configure_logging(verbosity: int) -> None:
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


pass_cli = click.make_pass_decorator(CliContext)
