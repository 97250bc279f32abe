"""Rendering of command results: JSON on stdout, CSV, or an aligned table for people."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click

FORMATS = click.Choice(["json", "csv", "table"])


def emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def emit_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])


def emit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    click.echo(line.rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        click.echo("(none)", err=True)


def emit(
    fmt: str,
    items: Sequence[Mapping[str, Any]],
    table_columns: Sequence[str],
) -> None:
    """``{"value": [...]}`` as JSON; CSV with every property; a table of ``table_columns``."""
    if fmt == "json":
        emit_json({"value": list(items)})
    elif fmt == "csv":
        columns = [k for k in (items[0] if items else {}) if not k.startswith("@")] or list(
            table_columns
        )
        emit_csv(items, columns)
    else:
        emit_table(items, table_columns)
