"""``vigil rejects``: the rejected input records the store keeps, with file, line and reason."""

from __future__ import annotations

import json
from typing import Any

import click

from vigil.cli.context import CliContext, pass_cli
from vigil.cli.output import emit_json, emit_table
from vigil.ingest.summary import KIND_ORDER, cut
from vigil.store.rejects import KeptReject

#: What the table shows of a reason.
REASON_CHARS = 120


def _doc(kept: KeptReject) -> dict[str, Any]:
    """A reject as the ``--rejects`` file writes it, with when it was kept."""
    return {
        **kept.reject.to_line(),
        "rejectedAt": kept.rejected_at.isoformat().replace("+00:00", "Z"),
    }


@click.command()
@click.option(
    "--source",
    metavar="TEXT",
    help="Only rejects whose source (the path as it was given to `vigil ingest`) contains TEXT.",
)
@click.option(
    "--kind",
    type=click.Choice(KIND_ORDER),
    help="Only rejects of this kind (unknown: input whose kind could not be told).",
)
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="How many of the rejects kept last to show.",
)
@click.option(
    "--delete",
    is_flag=True,
    help="Forget the rejects selected (all of them without --source or --kind) instead of "
    "listing them, e.g. once their files were fixed and ingested again.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl"]),
    default="table",
    show_default=True,
    help='table: file, line, kind and reason; json: {"value": [...], "count": n} with each '
    "record's text; jsonl: one reject per line, as `vigil ingest --rejects FILE` writes them.",
)
@pass_cli
def rejects(
    cli: CliContext, source: str | None, kind: str | None, limit: int, delete: bool, fmt: str
) -> None:
    """List the rejected records the store keeps: the last ones, oldest of them first.

    Every record `vigil ingest` rejects is kept, with the file and line it came from, the reason
    and its text (secret values redacted), whether or not --rejects was given. Re-ingesting the
    same file keeps no reject twice. `vigil stats` counts them; --delete forgets them.
    """
    store = cli.app().store
    if delete:
        deleted = store.rejects.delete(source=source, kind=kind)
        if fmt == "json":
            emit_json({"deleted": deleted})
        else:
            click.echo(f"deleted {deleted} rejected record(s)", err=True)
        return
    kept = store.rejects.latest(limit, source=source, kind=kind)
    total = store.rejects.count(source=source, kind=kind)
    if fmt == "json":
        emit_json({"value": [_doc(k) for k in kept], "count": total})
        return
    if fmt == "jsonl":
        for k in kept:
            click.echo(json.dumps(_doc(k), ensure_ascii=False, separators=(",", ":")))
        return
    rows = []
    for k in kept:
        r = k.reject
        rows.append(
            {
                "source": r.source,
                "line": r.line,
                "kind": r.kind,
                "reason": cut(r.reason, REASON_CHARS),
            }
        )
    emit_table(rows, ["source", "line", "kind", "reason"])
    if total > len(kept):
        click.echo(f"{len(kept)} of {total} shown; --limit shows more", err=True)
